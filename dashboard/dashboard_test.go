package dashboard_test

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/config"
	"github.com/dhis2-chap/chap_exporter/dashboard"
	"github.com/dhis2-chap/chap_exporter/history"
	"github.com/dhis2-chap/chap_exporter/prober"
)

var (
	now   = time.Date(2026, 11, 30, 17, 45, 0, 0, time.UTC)
	chain = []string{"dhis2_ping", "http_2xx", "dhis2_chap_route", "dhis2_system_info", "dhis2_chap_climate_app",
		"dhis2_chap_modeling_app", "dhis2_chap_ping", "dhis2_chap_system_info"}
)

// report is a probe of target at `at` in which chap-core is down when down is set.
func report(target string, at time.Time, down bool) *prober.Report {
	r := &prober.Report{Target: target, Start: at, Duration: 180 * time.Millisecond}
	for _, c := range chain {
		res := prober.Result{Check: c, Status: prober.StatusOK, Message: "all good", Duration: 20 * time.Millisecond}
		switch {
		case down && c == "dhis2_chap_ping":
			res = prober.Result{Check: c, Status: prober.StatusFail, Reason: prober.ReasonUpstreamDown,
				Message: "DHIS2 route returned 502: chap-core did not respond: Upstream did not respond"}
		case down && c == "dhis2_chap_system_info":
			res = prober.Result{Check: c, Status: prober.StatusSkipped, Reason: prober.ReasonRequirementUnmet, Message: "requires dhis2_chap_ping, which is fail"}
		}
		r.Checks = append(r.Checks, res)
	}
	return r
}

// fleet is n targets with a full day of history (one probe per half hour
// fills every bar) of which every downEvery-th (0: none) is down now and
// every flapEvery-th half hour.
func fleet(n, downEvery, flapEvery int) ([]dashboard.Target, *history.Store) {
	store := &history.Store{}
	targets := make([]dashboard.Target, n)
	for i := range targets {
		name := fmt.Sprintf("country-%04d", i)
		targets[i] = dashboard.Target{Name: name, Label: fmt.Sprintf("Ministry of Health %04d", i), Kind: config.KindDHIS2,
			URL: "https://" + name + ".example.org", Group: []string{"production", "staging", "training"}[i%3], Checks: chain}
		down := downEvery > 0 && i%downEvery == 0
		for b := history.Buckets - 1; b >= 0; b-- {
			store.Record(report(name, now.Add(-time.Duration(b)*history.BucketWidth), down && b%flapEvery == 0))
		}
	}
	return targets, store
}

// detail is what the server hands RenderTarget: the target's history at now.
func detail(store *history.Store, name string) history.Detail {
	d, _ := store.Detail(name, now)
	return d
}

func site() dashboard.Site {
	return dashboard.Site{UI: config.UI{Title: "CHAP fleet", GroupBy: "env", Theme: config.ThemeAuto},
		Version: "1.0.0", Started: now.Add(-25 * time.Hour), Now: now}
}

func TestBoardOrderGroupsAndCollapse(t *testing.T) {
	store := &history.Store{}
	store.Record(report("a-up", now, false))
	store.Record(report("z-down", now, true))
	warn := report("m-warn", now, false)
	warn.Checks[4] = prober.Result{Check: "dhis2_chap_climate_app", Status: prober.StatusWarn, Reason: prober.ReasonNoVersion, Message: "Climate app reported no version"}
	store.Record(warn)
	targets := []dashboard.Target{
		{Name: "a-up", Label: "A", Checks: chain, Group: "prod"},
		{Name: "m-warn", Label: "M", Checks: chain, Group: "prod"},
		{Name: "never", Label: "N", Checks: chain, Group: "prod"},
		{Name: "z-down", Label: "Z", Checks: chain, Group: "prod"},
		{Name: "other", Label: "O", Checks: chain},
	}
	var buf bytes.Buffer
	if err := dashboard.RenderBoard(&buf, site(), targets, store, 1); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	order := []string{`<h2>env: prod`, `>Z<`, `>M<`, `>N<`, `>A<`, `<h2>env: (none)`, `>O<`}
	at := 0
	for _, w := range order {
		i := strings.Index(page[at:], w)
		if i < 0 {
			t.Fatalf("%q missing or out of order; want %q", w, order)
		}
		at += i
	}
	for _, want := range []string{
		`<b>Climate app</b> warning</span> <span class="reason">(no_version)</span>: Climate app reported no version`,
		`<b>chap-core</b> failed</span> <span class="reason">(upstream_down)</span>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("board lacks %s", want)
		}
	}
	if strings.Contains(page, "in one line each") {
		t.Error("a board of 5 targets collapsed its healthy ones")
	}
}

func TestBoardEscapesAndBoundsServerText(t *testing.T) {
	store := &history.Store{}
	r := report("x", now, true)
	r.Checks[6].Message = "<img src=x onerror=alert(1)>\x1b[31m\u202e" + strings.Repeat("long ", 1000) + "\xff"
	store.Record(r)
	var buf bytes.Buffer
	if err := dashboard.RenderBoard(&buf, site(), []dashboard.Target{{Name: "x", Label: "X", Checks: chain}}, store, 1); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if strings.Contains(page, "<img") || strings.Contains(page, "\x1b") || strings.Contains(page, "\u202e") {
		t.Error("server text reached the page unescaped or with control characters")
	}
	if strings.Count(page, "long") > 300 {
		t.Errorf("a 5000-byte message was not cut: %d repetitions", strings.Count(page, "long"))
	}
}

// TestBoardAt1000Targets keeps the page under 1 MB for 1 000 targets, with
// a few failing, with all healthy, and with all failing (then 80 cards a page).
func TestBoardAt1000Targets(t *testing.T) {
	tests := []struct {
		name                 string
		downEvery, flapEvery int
		pages                int
	}{
		{"5% down, down 1 half hour in 7", 20, 7, 1},
		{"all up", 0, 1, 1},
		{"all down, down 1 half hour in 7", 1, 7, 13},
		{"all down, down every other half hour", 1, 2, 13},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			targets, store := fleet(1000, tt.downEvery, tt.flapEvery)
			var buf bytes.Buffer
			if err := dashboard.RenderBoard(&buf, site(), targets, store, 1); err != nil {
				t.Fatal(err)
			}
			t.Logf("1000 targets, %s: page 1 is %d bytes", tt.name, buf.Len())
			if buf.Len() > 1e6 {
				t.Errorf("page is %d bytes, want under 1 MB", buf.Len())
			}
			pages := len(regexp.MustCompile(`>page \d+<`).FindAllString(buf.String(), -1))
			if pages == 0 {
				pages = 1
			}
			if pages != tt.pages {
				t.Errorf("%d pages, want %d", pages, tt.pages)
			}
			cards := strings.Count(buf.String(), `<li class="card `)
			if cards > 80 {
				t.Errorf("%d cards on one page, want at most 80", cards)
			}
		})
	}
}

// BenchmarkBoard1000Targets renders the board of 1 000 targets with a full
// day of history each, 5% of them down: the issue asks for under 100 ms
// and under 1 MB. cpu-ms/op is the process's CPU time per render, which a
// busy machine inflates less than ns/op.
func BenchmarkBoard1000Targets(b *testing.B) {
	targets, store := fleet(1000, 20, 7)
	var buf bytes.Buffer
	before := cpuTime()
	for b.Loop() {
		buf.Reset()
		if err := dashboard.RenderBoard(&buf, site(), targets, store, 1); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-before)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(buf.Len()), "page-bytes")
}

// cpuTime is the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTargetPage renders one target's page with a full day of history.
func BenchmarkTargetPage(b *testing.B) {
	targets, store := fleet(1, 1, 2)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := dashboard.RenderTarget(&buf, site(), targets[0], detail(store, targets[0].Name), "debug report", dashboard.NotProbedNow); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "page-bytes")
}

// TestProbeNowNotice: the target page that follows Probe now says where its
// results came from (a fresh run, or min_interval's cache) and, since it
// keeps its URL while it refreshes itself, drops the notice once stale.
func TestProbeNowNotice(t *testing.T) {
	const ran, cached = "from the probe that just ran", "min_interval answered with the results of its last probe"
	tests := []struct {
		name     string
		age      time.Duration
		probeNow dashboard.ProbeNow
		want     string // the notice shown, "" for none
	}{
		{"right after Probe now", 5 * time.Second, dashboard.ProbeNowRan, ran},
		{"min_interval answered Probe now", 5 * time.Second, dashboard.ProbeNowCached, cached},
		{"two minutes later", 2 * time.Minute, dashboard.ProbeNowRan, ""},
		{"cached, two minutes later", 2 * time.Minute, dashboard.ProbeNowCached, ""},
		{"without Probe now", 5 * time.Second, dashboard.NotProbedNow, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &history.Store{}
			store.Record(report("x", now.Add(-tt.age), false))
			var buf bytes.Buffer
			if err := dashboard.RenderTarget(&buf, site(), dashboard.Target{Name: "x", Label: "X", Checks: chain}, detail(store, "x"), "", tt.probeNow); err != nil {
				t.Fatal(err)
			}
			for _, notice := range []string{ran, cached} {
				if got, want := strings.Contains(buf.String(), notice), notice == tt.want; got != want {
					t.Errorf("notice %q shown = %t, want %t", notice, got, want)
				}
			}
		})
	}
}

// TestChecksReadInChainOrder: whatever order the prober's plan has (it
// breaks ties by name), a target page lists the checks the way an operator
// walks the chain, with checks the table does not know (custom ones) last.
func TestChecksReadInChainOrder(t *testing.T) {
	store := &history.Store{}
	store.Record(report("x", now, false))
	plan := append(slices.Clone(chain), "chap_models")
	var buf bytes.Buffer
	if err := dashboard.RenderTarget(&buf, site(), dashboard.Target{Name: "x", Label: "X", Checks: plan}, detail(store, "x"), "", dashboard.NotProbedNow); err != nil {
		t.Fatal(err)
	}
	want := []string{"Web page", "DHIS2 login", "DHIS2 version", "chap route", "chap-core", "chap-core version",
		"Modeling app", "Climate app", "chap_models"}
	page, last := buf.String(), -1
	for _, label := range want {
		at := strings.Index(page, ">"+label+"<")
		if at < 0 {
			t.Fatalf("page lacks the check %q", label)
		}
		if at < last {
			t.Errorf("check %q comes before the one listed before it; want order %v", label, want)
		}
		last = at
	}
}
