package prober

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxRequestsPerHost is the default per-host limit, of
// --dhis2.max-concurrent-requests-per-host and of the check command. One
// probe of the default chain has at most 4 requests in flight, so a lone
// probe is never slowed down by it.
const DefaultMaxRequestsPerHost = 4

// HostLimiter bounds how many requests are in flight at once to one DHIS2
// host, across every prober that shares it. A request holds its slot from
// the moment it is sent until its response body is read to the end or
// closed, which is as long as the server is busy with it; a request the
// prober gave up on holds it until its answer arrives (see RoundTrip).
//
// It is a process-wide semaphore per host rather than the transport's
// MaxConnsPerHost because each target has its own transport (its own
// credentials and TLS settings), several targets can name the same server,
// and after a reload old and new transports run side by side: only a limiter
// shared by all of them bounds what one DHIS2 sees. It counts requests, not
// connections, because requests are what load Tomcat (with HTTP/2 many
// share one connection); and since a transport dials only when all its
// connections are busy, it bounds the connections in use as well.
type HostLimiter struct {
	limit int

	mu    sync.Mutex
	hosts map[string]*hostSlots
}

// hostSlots is one host's semaphore and how many requests hold or wait for it.
type hostSlots struct {
	sem   chan struct{}
	users int
}

// NewHostLimiter returns a limiter allowing limit concurrent requests per
// host; limit <= 0 means no limit.
func NewHostLimiter(limit int) *HostLimiter {
	return &HostLimiter{limit: max(limit, 0), hosts: map[string]*hostSlots{}}
}

// acquire waits for a slot for host, or until ctx ends. It returns nil
// slots when there is no limit; otherwise give the slot back with release.
func (l *HostLimiter) acquire(ctx context.Context, host string) (*hostSlots, error) {
	if l.limit == 0 {
		return nil, nil
	}
	l.mu.Lock()
	h := l.hosts[host]
	if h == nil {
		h = &hostSlots{sem: make(chan struct{}, l.limit)}
		l.hosts[host] = h
	}
	h.users++
	l.mu.Unlock()

	select {
	case h.sem <- struct{}{}:
		return h, nil
	case <-ctx.Done():
		l.done(host, h)
		return nil, fmt.Errorf("waiting for one of %d request slots for %s: %w", l.limit, host, ctx.Err())
	}
}

// release gives back a slot acquire returned.
func (l *HostLimiter) release(host string, h *hostSlots) {
	<-h.sem
	l.done(host, h)
}

// done forgets a host nobody uses any more, so targets that come and go
// with reloads do not grow the map.
func (l *HostLimiter) done(host string, h *hostSlots) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h.users--
	if h.users == 0 {
		delete(l.hosts, host)
	}
}

// hostKey names the server a URL points at: lower-case host name and port,
// with the scheme's default port filled in, so https://dhis2.example.org and
// https://DHIS2.example.org:443 count as the same server.
func hostKey(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// limitedTransport makes every request, redirects included, take a slot
// from the limiter for the host it goes to.
type limitedTransport struct {
	next        http.RoundTripper
	hostLimiter *HostLimiter
	target      *url.URL // the target's base URL, whose key is worked out once
	key         string   // hostKey(target)
}

// newLimitedTransport wraps next for the target at base.
func newLimitedTransport(next http.RoundTripper, hostLimiter *HostLimiter, base *url.URL) *limitedTransport {
	return &limitedTransport{next: next, hostLimiter: hostLimiter, target: base, key: hostKey(base)}
}

// hostKey is hostKey(u), without the work for the target's own host.
func (t *limitedTransport) hostKey(u *url.URL) string {
	if u.Host == t.target.Host && u.Scheme == t.target.Scheme {
		return t.key
	}
	return hostKey(u)
}

// MaxAbandonedHold bounds how long a request the prober gave up on keeps
// its slot while the server may still be working on it.
const MaxAbandonedHold = 30 * time.Second

// RoundTrip implements http.RoundTripper. A request whose caller gives up
// (the probe's deadline) before the answer arrives keeps its slot: DHIS2
// goes on working on it whether or not anyone waits, so the request is left
// to finish in the background, its answer discarded, and the slot is given
// back only when the answer has arrived or MaxAbandonedHold has passed.
func (t *limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	host := t.hostKey(req.URL)
	slots, err := t.hostLimiter.acquire(req.Context(), host)
	if err != nil {
		return nil, err
	}
	if slots == nil { // no limit
		return t.next.RoundTrip(req)
	}
	held, cancelCause := context.WithCancelCause(context.WithoutCancel(req.Context()))
	ctx, stopHold := context.WithTimeout(held, MaxAbandonedHold)
	// cancel ends the request with the caller's own error (its deadline
	// stays a timeout), or Canceled when the caller is still there.
	cancel := func() { cancelCause(req.Context().Err()); stopHold() }
	answered := make(chan roundTrip, 1)
	go func() {
		resp, err := t.next.RoundTrip(req.WithContext(ctx))
		answered <- roundTrip{resp, err}
	}()
	select {
	case rt := <-answered:
		if rt.err != nil {
			cancel()
			t.hostLimiter.release(host, slots)
			return nil, rt.err
		}
		// Once the answer has started, the caller's cancellation ends it as
		// usual, closing the connection, which frees the slot.
		stop := context.AfterFunc(req.Context(), cancel)
		rt.resp.Body = &releasingBody{ReadCloser: rt.resp.Body, release: func() {
			stop()
			cancel()
			t.hostLimiter.release(host, slots)
		}}
		return rt.resp, nil
	case <-req.Context().Done():
		go func() {
			if rt := <-answered; rt.err == nil {
				_, _ = io.Copy(io.Discard, io.LimitReader(rt.resp.Body, MaxBodyBytes))
				rt.resp.Body.Close()
			}
			cancel()
			t.hostLimiter.release(host, slots)
		}()
		return nil, req.Context().Err()
	}
}

// roundTrip is the outcome of one RoundTrip.
type roundTrip struct {
	resp *http.Response
	err  error
}

// releasingBody gives the slot back at the end of the body or on Close,
// whichever comes first: the server is done with the request by then.
type releasingBody struct {
	io.ReadCloser
	release  func()
	released atomic.Bool
}

func (b *releasingBody) done() {
	if b.released.CompareAndSwap(false, true) {
		b.release()
	}
}

func (b *releasingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.done()
	}
	return n, err
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.done()
	return err
}
