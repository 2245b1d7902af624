package testkit

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Gate is an HTTP server on 127.0.0.1 that holds requests until it is
// opened, reporting each arrival. Tests use it to keep requests in flight
// for as long as they need, or to act between two requests, without
// sleeping.
type Gate struct {
	URL string
	// Arrived receives once per held request as it arrives.
	Arrived chan struct{}
	release chan struct{}
	once    sync.Once
}

// NewGate starts a gate that holds every request, then answers 503; it
// opens and stops when the test ends.
func NewGate(t testing.TB) *Gate {
	t.Helper()
	return NewGateFor(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "held, then released", http.StatusServiceUnavailable)
	}), nil)
}

// NewGateFor starts a gate in front of next: the requests hold selects (all
// of them when hold is nil) wait until the gate opens, or until their client
// gives up, then go on to next. It opens and stops when the test ends.
func NewGateFor(t testing.TB, next http.Handler, hold func(*http.Request) bool) *Gate {
	t.Helper()
	g := &Gate{Arrived: make(chan struct{}, 1000), release: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hold == nil || hold(r) {
			g.Arrived <- struct{}{}
			select {
			case <-g.release:
			case <-r.Context().Done():
			}
		}
		next.ServeHTTP(w, r)
	}))
	g.URL = srv.URL
	t.Cleanup(func() { g.Open(); srv.Close() })
	return g
}

// Open releases held requests and lets later ones through at once.
func (g *Gate) Open() { g.once.Do(func() { close(g.release) }) }

// AwaitN waits for n arrivals at the gate.
func (g *Gate) AwaitN(t testing.TB, n int) {
	t.Helper()
	for range n {
		Await(t, g.Arrived, "a request to reach the gate")
	}
}
