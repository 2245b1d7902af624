package prober

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/dhis2-chap/chap_exporter/config"
	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/internal/testkit"
)

// gatedServer serves a simulator behind a gate that holds every /api/me
// request until it is opened, so a test can make callers overlap without
// relying on timing.
func gatedServer(t *testing.T) (*dhis2sim.Sim, *testkit.Gate) {
	t.Helper()
	sim := dhis2sim.New(dhis2sim.Options{})
	return sim, testkit.NewGateFor(t, sim, func(r *http.Request) bool { return r.URL.Path == "/api/me" })
}

// gatedProber is a prober for a simulator behind a gate.
func gatedProber(t *testing.T, setting string) (*Prober, *dhis2sim.Sim, *testkit.Gate) {
	t.Helper()
	sim, g := gatedServer(t)
	return proberFor(t, g.URL, setting, NewHostLimiter(0)), sim, g
}

// proberFor builds a prober for url with one more target setting line.
func proberFor(t *testing.T, url, setting string, limiter *HostLimiter) *Prober {
	t.Helper()
	path := filepath.Join(t.TempDir(), "chap.yml")
	body := fmt.Sprintf("targets:\n  sim:\n    url: %s\n    auth: {token: %s}\n    %s\n", url, dhis2sim.DefaultToken, setting)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, KindsOf)
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(cfg.Targets["sim"], limiter, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// verifyNoLeaks checks, after every cleanup of t (servers, probers), that
// no goroutine started during t is left.
func verifyNoLeaks(t *testing.T) {
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
}

// waiters is how many callers wait for the registered run.
func (p *Prober) waiters() int {
	p.share.mu.Lock()
	defer p.share.mu.Unlock()
	if p.share.flight == nil {
		return 0
	}
	return p.share.flight.waiters
}

// must is a ProbeShared report; these tests never exceed the run caps.
func must(r *Report, err error) *Report {
	if err != nil {
		panic(err)
	}
	return r
}

func countEndpoint(sim *dhis2sim.Sim, e dhis2sim.Endpoint) int {
	n := 0
	for _, r := range sim.Requests() {
		if r.Endpoint == e {
			n++
		}
	}
	return n
}

func TestProbeSharedJoinsARunThatFitsTheBudget(t *testing.T) {
	verifyNoLeaks(t)
	const first = 10 * time.Second
	tests := []struct {
		name       string
		joiner     time.Duration // the second caller's budget
		wantRuns   int
		wantShared bool
	}{
		{"same budget joins", first, 1, true},
		{"longer budget runs its own: the run could time out where it would not", 2 * first, 2, false},
		{"shorter budget runs its own", first / 2, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, sim, g := gatedProber(t, "")
			reports := make([]*Report, 2)
			var wg sync.WaitGroup
			wg.Go(func() { reports[0] = must(p.ProbeShared(context.Background(), first)) })
			<-g.Arrived // the first run is in flight and holds /api/me
			wg.Go(func() { reports[1] = must(p.ProbeShared(context.Background(), tt.joiner)) })
			if tt.wantRuns == 1 {
				testkit.Eventually(t, "the second caller to join", 10*time.Second, func() bool { return p.waiters() == 2 })
			} else {
				<-g.Arrived // the second caller's own run reached DHIS2
			}
			g.Open()
			wg.Wait()

			if n := countEndpoint(sim, dhis2sim.Me); n != tt.wantRuns {
				t.Errorf("DHIS2 got /api/me %d times, want %d", n, tt.wantRuns)
			}
			for i, r := range reports {
				if !r.Success() || r.Age != 0 {
					t.Errorf("caller %d: success=%t age=%s, want a fresh successful report", i, r.Success(), r.Age)
				}
			}
			if reports[0].Shared || reports[1].Shared != tt.wantShared {
				t.Errorf("Shared = %t, %t; want false, %t", reports[0].Shared, reports[1].Shared, tt.wantShared)
			}
		})
	}
}

func TestProbeSharedCallerThatLeavesDoesNotCancelTheOthers(t *testing.T) {
	verifyNoLeaks(t)
	tests := []struct {
		name  string
		leave int // which caller cancels: 0 started the run, 1 joined it
	}{
		{"starter leaves", 0},
		{"joiner leaves", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, sim, g := gatedProber(t, "")
			ctxs := make([]context.Context, 2)
			cancels := make([]context.CancelFunc, 2)
			for i := range ctxs {
				ctxs[i], cancels[i] = context.WithCancel(context.Background())
				defer cancels[i]()
			}
			reports := make([]*Report, 2)
			var wg sync.WaitGroup
			wg.Go(func() { reports[0] = must(p.ProbeShared(ctxs[0], 10*time.Second)) })
			<-g.Arrived
			wg.Go(func() { reports[1] = must(p.ProbeShared(ctxs[1], 10*time.Second)) })
			testkit.Eventually(t, "the second caller to join", 10*time.Second, func() bool { return p.waiters() == 2 })

			cancels[tt.leave]()
			testkit.Eventually(t, "the canceled caller to leave", 10*time.Second, func() bool { return p.waiters() == 1 })
			g.Open()
			wg.Wait()

			left, stayed := reports[tt.leave], reports[1-tt.leave]
			for _, c := range left.Checks {
				if c.Status != StatusFail || c.Reason != ReasonCanceled {
					t.Errorf("caller that left: %s = %s/%s, want fail/canceled", c.Check, c.Status, c.Reason)
				}
			}
			if !stayed.Success() {
				t.Errorf("caller that stayed got a failed probe: %+v", stayed.Checks)
			}
			if n := countEndpoint(sim, dhis2sim.Me); n != 1 {
				t.Errorf("DHIS2 got /api/me %d times, want 1", n)
			}
		})
	}
}

func TestProbeSharedStopsTheRunWhenEveryCallerLeft(t *testing.T) {
	verifyNoLeaks(t)
	p, sim, g := gatedProber(t, "min_interval: 1h")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *Report)
	go func() { done <- must(p.ProbeShared(ctx, 10*time.Second)) }()
	<-g.Arrived
	cancel()
	if r := <-done; r.Checks[0].Reason != ReasonCanceled {
		t.Fatalf("got %s/%s, want canceled", r.Checks[0].Status, r.Checks[0].Reason)
	}
	// The stopped run's request ends without an answer; the run is not kept
	// for min_interval, so the next caller asks DHIS2 afresh.
	testkit.Eventually(t, "the abandoned /api/me to end", 10*time.Second, func() bool { return countEndpoint(sim, dhis2sim.Me) == 1 })
	g.Open()
	r := must(p.ProbeShared(context.Background(), 10*time.Second))
	if !r.Success() || r.Age != 0 || r.Shared {
		t.Errorf("next call: success=%t age=%s shared=%t, want a fresh successful run", r.Success(), r.Age, r.Shared)
	}
	if n := countEndpoint(sim, dhis2sim.Me); n != 2 {
		t.Errorf("DHIS2 got /api/me %d times, want 2", n)
	}
}

func TestMinInterval(t *testing.T) {
	tests := []struct {
		name     string
		config   string
		age      time.Duration // how old the first result is made before the second call
		wantRuns int
	}{
		{"off by default: every call runs", "", 0, 2},
		{"within the interval: served cached", "min_interval: 10s", 0, 1},
		{"interval passed: runs again", "min_interval: 10s", 11 * time.Second, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, sim, g := gatedProber(t, tt.config)
			g.Open()
			first := must(p.ProbeShared(context.Background(), 10*time.Second))
			p.share.mu.Lock()
			p.share.lastAt = p.share.lastAt.Add(-tt.age) // age the result without sleeping
			p.share.mu.Unlock()
			second := must(p.ProbeShared(context.Background(), 10*time.Second))

			if n := countEndpoint(sim, dhis2sim.Me); n != tt.wantRuns {
				t.Errorf("DHIS2 got /api/me %d times, want %d", n, tt.wantRuns)
			}
			if first.Age != 0 {
				t.Errorf("first report has age %s, want 0", first.Age)
			}
			cached := tt.wantRuns == 1
			if (second.Age > 0) != cached {
				t.Errorf("second report age = %s, want cached=%t", second.Age, cached)
			}
			if cached && !second.Start.Equal(first.Start) {
				t.Errorf("cached report started at %s, want the first run's %s", second.Start, first.Start)
			}
			// Probe itself never serves cached results.
			before := countEndpoint(sim, dhis2sim.Me)
			if r := p.Probe(context.Background(), 10*time.Second); r.Age != 0 || countEndpoint(sim, dhis2sim.Me) != before+1 {
				t.Errorf("Probe did not run the chain afresh")
			}
		})
	}
}

func TestHostLimiterBoundsConcurrentRequestsAcrossTargets(t *testing.T) {
	tests := []struct {
		limit   int
		targets int
		// wantPeak is what the overlap must reach at least, so the test
		// shows the limit is what held it down, not a lack of demand.
		wantPeakAtLeast int
		latency         time.Duration // default 20ms
	}{
		{limit: 1, targets: 3, wantPeakAtLeast: 1},
		{limit: 2, targets: 3, wantPeakAtLeast: 2},
		{limit: 4, targets: 4, wantPeakAtLeast: 4},
		// No limit: the first requests of four chains overlap beyond 4. A
		// longer latency keeps them overlapping even on a busy machine.
		{limit: 0, targets: 4, wantPeakAtLeast: 5, latency: 200 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("limit=%d", tt.limit), func(t *testing.T) {
			sim := dhis2sim.New(dhis2sim.Options{})
			sim.Update(func(st *dhis2sim.State) { st.Latency = cmp.Or(tt.latency, 20*time.Millisecond) })
			srv := httptest.NewServer(sim)
			defer srv.Close()
			limiter := NewHostLimiter(tt.limit)
			var b strings.Builder
			b.WriteString("targets:\n")
			for i := range tt.targets {
				fmt.Fprintf(&b, "  t%d:\n    url: %s\n    auth: {token: %s}\n", i, srv.URL, dhis2sim.DefaultToken)
			}
			path := filepath.Join(t.TempDir(), "chap.yml")
			if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(path, KindsOf)
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for _, name := range cfg.Names() {
				p, err := New(cfg.Targets[name], limiter, Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				wg.Go(func() {
					if r := p.Probe(context.Background(), 30*time.Second); !r.Success() {
						t.Errorf("%s: probe failed: %+v", name, r.Checks)
					}
				})
			}
			wg.Wait()
			reqs := sim.Requests()
			if want := tt.targets * 8; len(reqs) != want {
				t.Errorf("DHIS2 got %d requests, want %d", len(reqs), want)
			}
			peak := dhis2sim.MaxConcurrent(reqs)
			if tt.limit > 0 && peak > tt.limit {
				t.Errorf("DHIS2 handled %d requests at once, limit %d", peak, tt.limit)
			}
			if peak < tt.wantPeakAtLeast {
				t.Errorf("DHIS2 handled at most %d requests at once, want at least %d", peak, tt.wantPeakAtLeast)
			}
		})
	}
}

func TestHostKey(t *testing.T) {
	tests := []struct{ url, want string }{
		{"https://DHIS2.example.org/api/me", "dhis2.example.org:443"},
		{"https://dhis2.example.org:443/", "dhis2.example.org:443"},
		{"http://dhis2.example.org/", "dhis2.example.org:80"},
		{"http://dhis2.example.org:8080/dhis", "dhis2.example.org:8080"},
		{"https://[::1]:8443/", "[::1]:8443"},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(http.MethodGet, tt.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := hostKey(req.URL); got != tt.want {
			t.Errorf("hostKey(%s) = %s, want %s", tt.url, got, tt.want)
		}
	}
}

// TestWaitingForASlotCountsAgainstTheBudget holds the only slot for the
// host with one target's /api/me and checks that another target's probe
// fails with reason timeout instead of waiting past its budget.
func TestWaitingForASlotCountsAgainstTheBudget(t *testing.T) {
	verifyNoLeaks(t)
	_, g := gatedServer(t)
	limiter := NewHostLimiter(1)
	holder := proberFor(t, g.URL, "checks: [dhis2_ping]", limiter)
	waiter := proberFor(t, g.URL, "checks: [dhis2_ping]", limiter)
	done := make(chan *Report)
	go func() { done <- holder.Probe(context.Background(), 10*time.Second) }()
	<-g.Arrived // the holder's /api/me has the slot and is held at the gate

	r := waiter.Probe(context.Background(), 200*time.Millisecond)
	g.Open()
	if c := r.Checks[0]; c.Status != StatusFail || c.Reason != ReasonTimeout || !strings.Contains(c.Message, "200ms budget") {
		t.Errorf("waiting probe: %s/%s %q, want fail/timeout naming the budget", c.Status, c.Reason, c.Message)
	}
	if r := <-done; !r.Success() {
		t.Errorf("holding probe failed: %+v", r.Checks)
	}
}

// TestProbeSharedNeverHandsOutAnotherCallersShortBudget: a client sending
// a tiny scrape timeout must not make normal scrapes that arrive meanwhile
// (which would once join its run) or later (which would once be served its
// cached failure) report a timeout.
func TestProbeSharedNeverHandsOutAnotherCallersShortBudget(t *testing.T) {
	verifyNoLeaks(t)
	p, sim, g := gatedProber(t, "min_interval: 1h")
	short := make(chan *Report)
	go func() { short <- must(p.ProbeShared(context.Background(), 200*time.Millisecond)) }()
	<-g.Arrived // the short run holds /api/me
	normal := make(chan *Report)
	go func() { normal <- must(p.ProbeShared(context.Background(), 10*time.Second)) }()
	<-g.Arrived // the normal caller started a run of its own rather than joining
	if r := <-short; r.Success() || r.Checks[0].Reason != ReasonTimeout {
		t.Fatalf("short caller: success=%t %s, want its own timeout", r.Success(), r.Checks[0].Reason)
	}
	g.Open()
	if r := <-normal; !r.Success() || r.Shared {
		t.Errorf("normal caller: success=%t shared=%t, want its own successful run", r.Success(), r.Shared)
	}

	// A run cut short by a caller's budget is not cached for others: only
	// the normal run is, and a later short-budget failure does not replace it.
	if r := must(p.ProbeShared(context.Background(), time.Nanosecond)); r.Age == 0 {
		t.Errorf("a caller within min_interval was not served the cached run")
	}
	p.share.mu.Lock()
	p.share.last, p.share.lastAt = nil, time.Time{} // forget the good run
	p.share.mu.Unlock()
	if r := must(p.ProbeShared(context.Background(), time.Nanosecond)); r.Success() {
		t.Fatalf("a 1ns probe succeeded")
	}
	before := countEndpoint(sim, dhis2sim.Me)
	if r := must(p.ProbeShared(context.Background(), 10*time.Second)); !r.Success() || r.Age != 0 {
		t.Errorf("after a 1ns probe: success=%t age=%s, want a fresh successful run, not the cached failure", r.Success(), r.Age)
	}
	if countEndpoint(sim, dhis2sim.Me) != before+1 {
		t.Errorf("the normal caller did not ask DHIS2")
	}
}

// TestSharedRunIsRecordedOnceWithItsRealResult: when the caller that
// started a run leaves and another that joined stays, the run's real
// result is what OnRun receives, once.
func TestSharedRunIsRecordedOnceWithItsRealResult(t *testing.T) {
	verifyNoLeaks(t)
	_, g := gatedServer(t)
	var mu sync.Mutex
	var recorded []*Report
	p := proberFor(t, g.URL, "", NewHostLimiter(0))
	p.opts.OnRun = func(r *Report) { mu.Lock(); recorded = append(recorded, r); mu.Unlock() }

	ctx, leave := context.WithCancel(context.Background())
	defer leave()
	starter := make(chan *Report)
	go func() { starter <- must(p.ProbeShared(ctx, 10*time.Second)) }()
	<-g.Arrived
	joiner := make(chan *Report)
	go func() { joiner <- must(p.ProbeShared(context.Background(), 10*time.Second)) }()
	testkit.Eventually(t, "the second caller to join", 10*time.Second, func() bool { return p.waiters() == 2 })
	leave()
	if r := <-starter; r.Checks[0].Reason != ReasonCanceled {
		t.Fatalf("starter: %s, want canceled", r.Checks[0].Reason)
	}
	g.Open()
	stayed := <-joiner
	mu.Lock()
	defer mu.Unlock()
	if len(recorded) != 1 {
		t.Fatalf("OnRun called %d times, want once", len(recorded))
	}
	if !recorded[0].Success() || !recorded[0].Start.Equal(stayed.Start) {
		t.Errorf("recorded success=%t start=%s, want the successful run the joiner got (start %s)",
			recorded[0].Success(), recorded[0].Start, stayed.Start)
	}
}

// TestRunsPerTargetAreCapped: callers that cannot share (each with another
// budget) start at most MaxRunsPerTarget runs; the next gets ErrBusy, and
// Admit is asked once per run, not per caller.
func TestRunsPerTargetAreCapped(t *testing.T) {
	verifyNoLeaks(t)
	_, g := gatedServer(t)
	p := proberFor(t, g.URL, "", NewHostLimiter(0))
	var admitted, released atomic.Int32
	p.opts.Admit = func() (func(), bool) { admitted.Add(1); return func() { released.Add(1) }, true }
	var wg sync.WaitGroup
	for i := range MaxRunsPerTarget {
		wg.Go(func() { must(p.ProbeShared(context.Background(), time.Duration(10+i)*time.Second)) })
		<-g.Arrived
	}
	last := time.Duration(10+MaxRunsPerTarget-1) * time.Second
	wg.Go(func() { must(p.ProbeShared(context.Background(), last)) }) // shares the last run, with an equal budget
	testkit.Eventually(t, "a caller to join", 10*time.Second, func() bool { return p.waiters() > 1 })
	if _, err := p.ProbeShared(context.Background(), 5*time.Second); !errors.Is(err, ErrBusy) {
		t.Errorf("caller beyond the cap: err = %v, want ErrBusy", err)
	}
	g.Open()
	wg.Wait()
	if a, r := admitted.Load(), released.Load(); a != MaxRunsPerTarget || r != a {
		t.Errorf("admitted %d runs and released %d, want %d and %d", a, r, MaxRunsPerTarget, MaxRunsPerTarget)
	}
}

// TestHostLimitHoldsForAbandonedRequests: a DHIS2 that works on every
// request for a second, whether or not the client still waits (as Tomcat
// does), never sees more requests in flight than the limit, although every
// probe gives up long before its answers arrive. Counted on the server.
func TestHostLimitHoldsForAbandonedRequests(t *testing.T) {
	const limit, work = 4, time.Second
	var inFlight, peak, served atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(work) // busy, not watching the client
		inFlight.Add(-1)
		served.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"username":"admin"}`))
	}))
	t.Cleanup(srv.Close)
	p := proberFor(t, srv.URL, "checks: [dhis2_ping]", NewHostLimiter(limit))
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for end := time.Now().Add(2 * work); time.Now().Before(end); {
				if r := p.Probe(context.Background(), 100*time.Millisecond); r.Success() {
					t.Errorf("a 100ms probe of a 1s server succeeded")
				}
			}
		})
	}
	wg.Wait()
	testkit.Eventually(t, "the abandoned requests to be answered", 10*time.Second, func() bool { return inFlight.Load() == 0 })
	if got := peak.Load(); got > limit {
		t.Errorf("DHIS2 worked on %d requests at once, limit %d", got, limit)
	}
	if got := peak.Load(); got < limit {
		t.Errorf("DHIS2 worked on at most %d requests at once, want the limit %d reached (enough demand)", got, limit)
	}
	t.Logf("peak %d requests in flight at the server, %d served", peak.Load(), served.Load())
}
