package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/dhis2-chap/chap_exporter/internal/testkit"
	"github.com/dhis2-chap/chap_exporter/prober"
	"github.com/dhis2-chap/chap_exporter/server"
)

func TestMaxRequests(t *testing.T) {
	const limit = 3
	f := newFixture(t, func(o *server.Options) { o.MaxRequests = limit })
	g := testkit.NewGate(t)
	// One target per slot: concurrent scrapes of one target would share a
	// single probe (and a single slot).
	for i := range limit {
		f.addTarget(t, fmt.Sprintf("slow%d", i), g.URL)
	}

	// Probes of slow targets hold their slots...
	var slow []<-chan int
	for i := range limit - 1 {
		slow = append(slow, f.probeAsync(t, fmt.Sprintf("slow%d", i)))
		g.AwaitN(t, 1)
	}
	// ...without delaying a healthy target.
	if code, body := f.get(t, "/probe?target=demo"); code != 200 || !strings.Contains(body, "\nprobe_success 1\n") {
		t.Fatalf("healthy target next to slow ones answered %d:\n%s", code, body)
	}

	// With every slot held, the next probe is refused at once: nothing can
	// free a slot while the gate is shut, so it cannot have waited for one.
	slow = append(slow, f.probeAsync(t, fmt.Sprintf("slow%d", limit-1)))
	g.AwaitN(t, 1)
	f.sim.ClearRequests()
	code, body := f.get(t, "/probe?target=demo")
	if want := fmt.Sprintf("too many probes in flight (at most %d runs at once, --web.max-requests, and 4 per target); try again later\n", limit); code != 503 || body != want {
		t.Errorf("probe beyond the limit = %d %q, want 503 %q", code, body, want)
	}
	if n := len(f.sim.Requests()); n != 0 {
		t.Errorf("a refused probe sent %d requests", n)
	}
	for _, ch := range slow {
		select {
		case c := <-ch:
			t.Fatalf("a slow probe finished (%d) while its target held it", c)
		default:
		}
	}

	g.Open()
	for _, ch := range slow {
		if c := testkit.Await(t, ch, "a released slow probe"); c != 200 {
			t.Errorf("released slow probe answered %d, want 200", c)
		}
	}
	if code, _ := f.get(t, "/probe?target=demo"); code != 200 {
		t.Errorf("after the slow probes ended, a probe answered %d", code)
	}
	if _, m := f.get(t, "/metrics"); !strings.Contains(m, `chap_exporter_probe_requests_rejected_total{reason="too_many_requests"} 1`) {
		t.Error("the refused probe was not counted")
	}
}

// TestOversizedRequestIsRefusedByHTTPServer: a query beyond net/http's
// 1 MiB header limit never reaches /probe (so it is not counted there).
func TestOversizedRequestIsRefusedByHTTPServer(t *testing.T) {
	f := newFixture(t)
	code, body := f.get(t, "/probe?target="+strings.Repeat("x", 2<<20))
	if code != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("2 MiB query answered %d %.80q, want 431", code, body)
	}
	if n := len(f.sim.Requests()); n != 0 {
		t.Errorf("%d requests reached DHIS2", n)
	}
}

// TestDeadTargetDoesNotStarveOthers: scrapes hammering one unresponsive
// target, with equal budgets (sharing one run) or a different timeout
// header each (a run each, up to the per-target cap), never take the
// admission slots a healthy target needs.
func TestDeadTargetDoesNotStarveOthers(t *testing.T) {
	const limit = 40
	f := newFixture(t, func(o *server.Options) { o.MaxRequests = limit })
	g := testkit.NewGate(t)
	f.addTarget(t, "dead", g.URL)
	var hammer []<-chan int
	for range limit {
		hammer = append(hammer, f.probeAsync(t, "dead"))
	}
	// The shared run is in flight before the other budgets come, so it is
	// one of the target's runs; otherwise they could take all of them and
	// every scrape would be refused.
	g.AwaitN(t, 1)
	for i := range limit {
		header := fmt.Sprintf("%d", 30+i) // every scrape a budget of its own
		hammer = append(hammer, f.probeAsync(t, "dead", "X-Prometheus-Scrape-Timeout-Seconds", header))
	}
	g.AwaitN(t, prober.MaxRunsPerTarget-1) // runs with other budgets, up to the cap
	for range 3 {
		if code, body := f.get(t, "/probe?target=demo"); code != 200 || !strings.Contains(body, "\nprobe_success 1\n") {
			t.Fatalf("healthy target while a dead one is hammered answered %d:\n%.300s", code, body)
		}
	}
	g.Open()
	refused := 0
	for _, ch := range hammer {
		if testkit.Await(t, ch, "a scrape of the dead target") == http.StatusServiceUnavailable {
			refused++
		}
	}
	if refused == 0 || refused > limit {
		t.Errorf("%d scrapes of the dead target refused, want between 1 and %d (those beyond the per-target cap)", refused, limit)
	}
}
