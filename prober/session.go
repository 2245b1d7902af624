package prober

import (
	"context"
	"io"
	"net/url"
	"sync"
	"time"

	"github.com/dhis2-chap/chap_exporter/config"
)

// probeState is shared by the checks of one probe.
type probeState struct {
	prober *Prober
	budget time.Duration

	mu         sync.Mutex
	sent       map[apiRequest]*sharedRequest // API GETs of this probe, so identical requests are sent once
	certExpiry time.Time
}

// sharedRequest is one API GET whose answer the checks of one probe share:
// the first check to ask sends it, later ones wait for its answer. It is
// the inner of two single-flights; sharedRun (share.go) is the outer one,
// sharing a whole chain run between concurrent scrapes of a target. Both
// exist because they share at different levels: a run is shared only by
// scrapes that arrive together, while within every run several checks may
// ask for the same request (both app checks read /api/apps) and should not
// each send it.
type sharedRequest struct {
	done chan struct{}
	resp *Response
	err  error
	rec  Request
}

// Session is what a check uses to reach its target during one probe: the
// target's config and authenticated HTTP helpers. Responses to identical API
// requests are shared between the checks of a probe.
type Session struct {
	// Target is the configured target being probed.
	Target   *config.Target
	probe    *probeState
	requests []Request // what this check sent or shared, for Result.Requests
}

// GetAPI sends an authenticated GET for a DHIS2 API path (with query) and
// returns the answer when it is a 2xx JSON response. Redirects and HTML pages
// are login pages and fail with reason auth; other statuses map to reasons.
func (s *Session) GetAPI(ctx context.Context, path string) (*Response, error) {
	resp, err := s.shared(ctx, apiRequest{path: path, via: viaAPI})
	if err != nil {
		return nil, err
	}
	return resp, requireJSON(resp, path, s.Target.Kind)
}

// GetAPIs is GetAPI for several paths at once, sent concurrently; the
// answers and errors come back in the order of paths.
func (s *Session) GetAPIs(ctx context.Context, paths ...string) ([]*Response, []error) {
	resps, errs := make([]*Response, len(paths)), make([]error, len(paths))
	subs := make([]*Session, len(paths))
	var wg sync.WaitGroup
	for i, path := range paths {
		subs[i] = &Session{Target: s.Target, probe: s.probe}
		wg.Go(func() { resps[i], errs[i] = subs[i].GetAPI(ctx, path) })
	}
	wg.Wait()
	for _, sub := range subs {
		s.requests = append(s.requests, sub.requests...)
	}
	return resps, errs
}

// GetRoute sends an authenticated GET through the target's chap route to
// subpath (e.g. "/health") and returns any 2xx answer. Statuses are read as
// DHIS2's route proxy produces them.
func (s *Session) GetRoute(ctx context.Context, subpath string) (*Response, error) {
	return s.shared(ctx, routeRequest(s.Target.RouteCode, subpath))
}

// GetPage sends an unauthenticated GET for path, following up to 5
// redirects (to any host: no credentials are ever sent), and returns the
// final status code whatever it is.
func (s *Session) GetPage(ctx context.Context, path string) (int, error) {
	start := time.Now()
	req, err := s.probe.prober.newRequest(ctx, path, false)
	if err != nil {
		return 0, err
	}
	resp, err := s.probe.prober.pageClient.Do(req)
	rec := Request{Path: path, Duration: time.Since(start)}
	fail := func(err error) (int, error) {
		f := s.probe.classify(err)
		rec.Error = f.Msg
		s.requests = append(s.requests, rec)
		return 0, f
	}
	if err != nil {
		return fail(err)
	}
	defer resp.Body.Close()
	// A page whose body stalls or is cut off did not load: headers alone are not an answer.
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxBodyBytes))
	rec.StatusCode, rec.Duration = resp.StatusCode, time.Since(start)
	if err != nil {
		return fail(err)
	}
	if final := resp.Request.URL; final.Path != path || final.Host != req.URL.Host {
		// Redirected: where to, without the userinfo and query a login
		// page's URL may carry (a ticket, a session).
		rec.Path += " → " + (&url.URL{Scheme: final.Scheme, Host: final.Host, Path: final.Path}).String()
	}
	s.requests = append(s.requests, rec)
	return resp.StatusCode, nil
}

// shared sends the API GET ar once per probe; a second check asking for the
// same request waits for and reuses the first answer (see sharedRequest).
func (s *Session) shared(ctx context.Context, ar apiRequest) (*Response, error) {
	p := s.probe
	p.mu.Lock()
	c, found := p.sent[ar]
	if !found {
		c = &sharedRequest{done: make(chan struct{})}
		p.sent[ar] = c
	}
	p.mu.Unlock()
	if found {
		select {
		case <-c.done:
		case <-ctx.Done():
			f := p.classify(ctx.Err())
			s.requests = append(s.requests, Request{Path: ar.path, Error: f.Msg})
			return nil, f
		}
		rec := c.rec
		rec.Shared = true
		s.requests = append(s.requests, rec)
		return c.resp, c.err
	}
	c.resp, c.rec, c.err = p.fetch(ctx, ar)
	close(c.done)
	s.requests = append(s.requests, c.rec)
	return c.resp, c.err
}
