package testkit

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Gate is an HTTP server on 127.0.0.1 that holds every request until it is
// opened, reporting each arrival, then answers 503. Tests use it to keep
// probes in flight for as long as they need, without sleeping.
type Gate struct {
	URL string
	// Arrived receives once per request as it arrives.
	Arrived chan struct{}
	release chan struct{}
	once    sync.Once
}

// NewGate starts a gate; it opens and stops when the test ends.
func NewGate(t testing.TB) *Gate {
	t.Helper()
	g := &Gate{Arrived: make(chan struct{}, 1000), release: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.Arrived <- struct{}{}
		select {
		case <-g.release:
		case <-r.Context().Done():
		}
		http.Error(w, "held, then released", http.StatusServiceUnavailable)
	}))
	g.URL = srv.URL
	t.Cleanup(func() { g.Open(); srv.Close() })
	return g
}

// Open releases held requests and lets later ones through at once.
func (g *Gate) Open() { g.once.Do(func() { close(g.release) }) }

// Await receives from ch, failing the test instead of hanging when what is
// awaited never comes (a broken exporter).
func Await[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("gave up waiting for %s", what)
		panic("unreachable")
	}
}

// AwaitN waits for n arrivals at the gate.
func (g *Gate) AwaitN(t testing.TB, n int) {
	t.Helper()
	for range n {
		Await(t, g.Arrived, "a request to reach the gate")
	}
}
