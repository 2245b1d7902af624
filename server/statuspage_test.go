package server_test

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/internal/testkit"
	"github.com/dhis2-chap/chap_exporter/server"
)

func TestBoardShowsProbedResultsAndNeverProbes(t *testing.T) {
	f := newFixture(t)
	_, page := f.get(t, "/")
	if got := strings.Count(page, "No probe has run since the exporter started."); got != 3 {
		t.Errorf("before any probe, %d targets say so, want 3", got)
	}
	f.get(t, "/probe?target=demo")
	f.get(t, "/probe?target=basic")
	// A message with markup: the page must escape it.
	f.sim.Update(func(st *dhis2sim.State) {
		st.ChapCoreDown = true
		st.SetFault(dhis2sim.SystemInfo, dhis2sim.Fault{Status: 500, Body: `{"message":"<script>alert(1)</script>"}`})
	})
	f.get(t, "/probe?target=demo")
	f.sim.ClearRequests()
	_, page = f.get(t, "/")
	for _, want := range []string{
		`<b>chap-core</b> failed</span> <span class="reason">(upstream_down)</span>: DHIS2 route returned 502: chap-core did not respond: Upstream did not respond</li>`,
		`&lt;script&gt;alert(1)&lt;/script&gt;`,
		`<title>1 down · chap_exporter</title>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("board lacks %s", want)
		}
	}
	if strings.Contains(page, "<script>alert") {
		t.Error("board contains an unescaped <script>")
	}
	for _, path := range []string{"/", "/targets/demo", "/targets/inline", "/badge/demo.svg"} {
		f.get(t, path)
	}
	if n := len(f.sim.Requests()); n != 0 {
		t.Errorf("viewing the pages sent %d requests to DHIS2; they must never probe", n)
	}
	// Failures first, then targets nobody probed, then healthy ones.
	assertOrder(t, "board", page, `>demo<`, `>inline<`, `>basic<`)
}

func TestTargetPageKeepsIncidentsAfterManySuccesses(t *testing.T) {
	f := newFixture(t)
	f.sim.Update(func(st *dhis2sim.State) { st.ChapCoreDown = true })
	f.get(t, "/probe?target=demo")
	f.sim.Update(func(st *dhis2sim.State) { st.ChapCoreDown = false })
	for range 25 {
		f.get(t, "/probe?target=demo")
	}
	_, page := f.get(t, "/targets/demo")
	incident := regexp.MustCompile(`<th scope="row">chap-core</th><td class="fail">fail <span class="reason">\(upstream_down\)</span></td><td>([0-9:]+)</td><td>([0-9:]+)</td><td>(\d+s)</td>`)
	if !incident.MatchString(page) {
		t.Errorf("the recovered incident is missing:\n%s", page)
	}
	if !strings.Contains(page, "24 h uptime 96.2%") {
		t.Errorf("uptime is not 25 of 26 runs")
	}
}

func TestBadges(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name  string
		setup func(*dhis2sim.State)
		probe bool
		want  string
	}{
		{"never probed", nil, false, "chap: unknown"},
		{"healthy", func(*dhis2sim.State) {}, true, "chap: up"},
		{"warning", func(st *dhis2sim.State) { dhis2sim.ApplyScenario(st, "apps-without-version") }, true, "chap: degraded"},
		{"failing", func(st *dhis2sim.State) { *st = dhis2sim.State{ChapCoreDown: true} }, true, "chap: down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				f.sim.Update(tt.setup)
			}
			if tt.probe {
				f.get(t, "/probe?target=demo")
			}
			resp, err := http.Get(f.exporter.URL + "/badge/demo.svg")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if ct := resp.Header.Get("Content-Type"); ct != "image/svg+xml" {
				t.Errorf("Content-Type = %q", ct)
			}
			var svg struct {
				Title string `xml:"title"`
			}
			if err := xml.Unmarshal(body, &svg); err != nil {
				t.Fatalf("badge is not XML: %v\n%s", err, body)
			}
			if svg.Title != tt.want {
				t.Errorf("badge title = %q, want %q", svg.Title, tt.want)
			}
		})
	}
}

func TestProbeNow(t *testing.T) {
	tests := []struct {
		name   string
		target string
		header []string
		code   int
		probes bool
	}{
		{"from the page itself", "demo", []string{"Sec-Fetch-Site", "same-origin", "Origin", "http://127.0.0.1"}, http.StatusSeeOther, true},
		{"from a script without browser headers", "demo", nil, http.StatusSeeOther, true},
		{"from another site", "demo", []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden, false},
		{"from another site, old browser", "demo", []string{"Origin", "http://evil.example"}, http.StatusForbidden, false},
		{"unknown target", "nope", []string{"Sec-Fetch-Site", "same-origin"}, http.StatusNotFound, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			code, header, body := f.probeNow(t, tt.target, tt.header...)
			if code != tt.code {
				t.Errorf("POST = %d %q, want %d", code, body, tt.code)
			}
			if probed := len(f.sim.Requests()) > 0; probed != tt.probes {
				t.Errorf("probed = %t, want %t", probed, tt.probes)
			}
			if !tt.probes {
				return
			}
			if loc := header.Get("Location"); loc != "../demo?probed" {
				t.Errorf("Location = %q, want the target's page", loc)
			}
			_, page := f.get(t, "/targets/demo?probed")
			for _, want := range []string{"the results below are from the probe that just ran", `<span class="pill up">`, "authenticated as admin"} {
				if !strings.Contains(page, want) {
					t.Errorf("target page after Probe now lacks %q", want)
				}
			}
		})
	}
	t.Run("min_interval answers instead of a run", func(t *testing.T) {
		sim := dhis2sim.New(dhis2sim.Options{})
		f := fixtureFor(t, sim, "targets:\n  demo:\n    url: %[1]s\n    auth: {token: %[2]s}\n    min_interval: 1h\n", 0)
		f.get(t, "/probe?target=demo")
		before := len(sim.Requests())
		code, header, body := f.probeNow(t, "demo")
		if code != http.StatusSeeOther {
			t.Fatalf("POST = %d %q, want 303", code, body)
		}
		if n := len(sim.Requests()); n != before {
			t.Errorf("DHIS2 got %d more requests, want none (min_interval)", n-before)
		}
		if loc := header.Get("Location"); loc != "../demo?probed=cached" {
			t.Errorf("Location = %q, want ../demo?probed=cached", loc)
		}
		_, page := f.get(t, "/targets/demo?probed=cached")
		if !strings.Contains(page, "min_interval answered with the results of its last probe") || strings.Contains(page, "just ran") {
			t.Errorf("target page does not say min_interval answered Probe now")
		}
	})
	t.Run("GET does not probe", func(t *testing.T) {
		f := newFixture(t)
		if code, _ := f.get(t, "/targets/demo/probe"); code != http.StatusMethodNotAllowed {
			t.Errorf("GET = %d, want 405", code)
		}
		if n := len(f.sim.Requests()); n != 0 {
			t.Errorf("GET sent %d requests", n)
		}
	})
}

// TestProbeNowSharesTheProbeLimit: with every --web.max-requests slot held
// by scrapes, Probe now is refused like /probe and /status, and so are the
// status pages, whose rendering takes a slot too.
func TestProbeNowSharesTheProbeLimit(t *testing.T) {
	const limit = 2
	f := newFixture(t, func(o *server.Options) { o.MaxRequests = limit })
	g := testkit.NewGate(t)
	var held []<-chan int
	for i := range limit {
		name := "slow" + strconv.Itoa(i)
		f.addTarget(t, name, g.URL)
		held = append(held, f.probeAsync(t, name))
		g.AwaitN(t, 1)
	}
	f.sim.ClearRequests()
	code, _, body := f.probeNow(t, "demo")
	if want := fmt.Sprintf("(at most %d runs at once, --web.max-requests", limit); code != 503 || !strings.Contains(body, want) {
		t.Errorf("Probe now beyond the limit = %d %q, want 503 saying %q", code, body, want)
	}
	if n := len(f.sim.Requests()); n != 0 {
		t.Errorf("a refused Probe now sent %d requests", n)
	}
	for _, page := range []string{"/", "/targets/demo"} {
		want := fmt.Sprintf("too many probes in flight (at most %d at once, --web.max-requests); try again later\n", limit)
		if code, body := f.get(t, page); code != http.StatusServiceUnavailable || body != want {
			t.Errorf("GET %s beyond the limit = %d %.120q, want 503 %q", page, code, body, want)
		}
	}
	g.Open()
	for _, ch := range held {
		testkit.Await(t, ch, "a released probe")
	}
}

func TestHistoryMemoryIsOnMetrics(t *testing.T) {
	f := newFixture(t)
	f.get(t, "/probe?target=demo")
	_, metrics := f.get(t, "/metrics")
	m := regexp.MustCompile(`(?m)^chap_exporter_status_history_bytes (\d+)$`).FindStringSubmatch(metrics)
	if m == nil {
		t.Fatalf("/metrics lacks chap_exporter_status_history_bytes")
	}
	if n, _ := strconv.Atoi(m[1]); n < 1000 || n > 100000 {
		t.Errorf("history of one probed target = %d bytes, want a few kB", n)
	}
}
