package alerting

// End-to-end test of the alerting bundle: the real chap_exporter probes the dhis2sim
// simulator, a real Prometheus (examples/prometheus/prometheus.yml, alerting/rules.yml
// with shortened for/keep_firing_for) scrapes it and sends alerts to Alertmanager
// (alerting/alertmanager.yml with shortened group timings), which notifies a local sink
// standing in for Slack and a webhook receiver. Each scenario counts the notifications
// that arrive. TestEndToEnd uses one Alertmanager; TestEndToEndHA a cluster of two.
// The two tests run in parallel, each with its own processes.
//
// Needs prometheus and prometheus-alertmanager (scripts/ensure-tools.sh); takes a few
// minutes, so -short skips it.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/examples/grafana"
)

// receivers are the receivers the test target "demo" opts in to (notify: slack,webhook).
var receivers = []string{"slack", "webhook"}

// one returns one notification of alertname with status and reason for each receiver.
func one(alertname, status, reason string, receivers ...string) map[key]int {
	out := map[key]int{}
	for _, r := range receivers {
		out[key{receiver: r, alertname: alertname, status: status, reason: reason}] = 1
	}
	return out
}

// merge adds up notification counts.
func merge(counts ...map[key]int) map[key]int {
	out := map[key]int{}
	for _, c := range counts {
		for k, n := range c {
			out[k] += n
		}
	}
	return out
}

// groupIntervals is how long a scenario keeps an outage going after its first message:
// several Alertmanager group_intervals, each a chance for a duplicate.
const groupIntervals = 6 * time.Second

// notifyTimeout bounds the wait for an expected notification: for (3s) + up to one
// evaluation + group_wait/group_interval + the cluster's peer timeout, with margin.
const notifyTimeout = 30 * time.Second

// scenario is one step of an end-to-end test, run on a settled stack.
type scenario struct {
	name string
	run  func(t *testing.T, s *stack)
}

// runScenarios starts a stack with the given number of Alertmanagers and runs the
// scenarios in order, settling (simulator reset, no active alert, quiet) before each.
func runScenarios(t *testing.T, alertmanagers int, scenarios []scenario) {
	if testing.Short() {
		t.Skip("end-to-end test with real Prometheus and Alertmanager (a few minutes); skipped with -short")
	}
	t.Parallel()
	start := time.Now()
	s := newStack(t, alertmanagers)
	t.Logf("stack ready after %v", time.Since(start).Round(100*time.Millisecond))
	for _, sc := range scenarios {
		s.settle(t)
		s.began = time.Now()
		t.Run(sc.name, func(t *testing.T) { sc.run(t, s) })
		t.Logf("scenario %q took %v", sc.name, time.Since(s.began).Round(100*time.Millisecond))
	}
	t.Logf("%s took %v", t.Name(), time.Since(start).Round(100*time.Millisecond))
}

// TestEndToEnd runs every scenario against one Alertmanager.
func TestEndToEnd(t *testing.T) {
	runScenarios(t, 1, []scenario{
		{"chap-core down", func(t *testing.T, s *stack) { chapCoreDown(t, s, true) }},
		{"DHIS2 rejects credentials", badCredentials},
		{"check fails for one scrape", oneScrapeFlap},
		{"exporter restarts during an outage", exporterRestart},
		{"exporter down longer than keep_firing_for during an outage", exporterDownLong},
		{"DHIS2 goes down while chap-core is alerting", dhis2DownDuringChapAlert},
		// Runs after the previous scenario on purpose: had ChapCoreDown's resolved message
		// been dropped while inhibited, Alertmanager would now stay silent.
		{"chap-core down again after the DHIS2 outage", func(t *testing.T, s *stack) { chapCoreDown(t, s, false) }},
	})
}

// TestEndToEndHA runs outages against two clustered Alertmanagers that both receive
// every alert from Prometheus: still exactly one firing and one resolved message each.
//
// Each alert here fires for the first time in this stack. That matters: Prometheus
// re-sends a resolved alert for 15 minutes, and each Alertmanager re-creates the alert's
// group on its own schedule, so a later outage of the same alert meets the two
// Alertmanagers flushing at different moments. Then a flush of one can dedup against a
// notification log entry the other has not gossiped yet, or send a stale "firing" after
// the other's "resolved" (alertmanager issues #2447, #3551). Measured here: repeating
// outages of the same alert against this cluster produced such duplicates in some runs,
// fresh alerts did not. In production (group_interval 5m, peer timeout 15s) the window
// is a few percent of resolutions; alertmanager.yml documents it.
func TestEndToEndHA(t *testing.T) {
	runScenarios(t, 2, []scenario{
		{"cluster formed", clusterFormed},
		{"chap-core down", func(t *testing.T, s *stack) { chapCoreDown(t, s, false) }},
		{"DHIS2 rejects credentials", badCredentials},
	})
}

// clusterFormed checks that the two Alertmanagers see each other, so the other
// scenarios really test deduplication across a cluster.
func clusterFormed(t *testing.T, s *stack) {
	for _, u := range s.amURLs {
		waitFor(t, u+" cluster of 2 ready", 20*time.Second, func() error {
			var status struct {
				Cluster struct {
					Status string `json:"status"`
					Peers  []any  `json:"peers"`
				} `json:"cluster"`
			}
			code, body, err := httpDo(http.MethodGet, u+"/api/v2/status", "")
			if err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(body), &status); err != nil {
				return fmt.Errorf("HTTP %d: %v", code, err)
			}
			if status.Cluster.Status != "ready" || len(status.Cluster.Peers) != 2 {
				return fmt.Errorf("cluster status %q with %d peers", status.Cluster.Status, len(status.Cluster.Peers))
			}
			return nil
		})
	}
}

// chapCoreDown: chap-core stops answering. Exactly one firing notification per
// receiver for ChapCoreDown (none for the skipped dhis2_chap_system_info), nothing
// more while the outage lasts several group_intervals, exactly one resolved each.
// With queries, it also runs every dashboard and rule expression during the outage.
func chapCoreDown(t *testing.T, s *stack, queries bool) {
	mark := s.sink.mark()
	s.sim(t, http.MethodPost, "/__sim/scenario/chap-core-down", "")
	firing := one("ChapCoreDown", "firing", "upstream_down", receivers...)
	s.sink.waitAtLeast(t, mark, firing, notifyTimeout)

	if queries {
		t.Run("every dashboard and rule expression runs", func(t *testing.T) { checkQueries(t, s) })
	}
	time.Sleep(groupIntervals)
	s.sink.expectExactly(t, mark, firing)
	expectNeverActive(t, s, "ChapCoreVersionUnknown")

	s.sim(t, http.MethodPost, "/__sim/reset", "")
	all := merge(firing, one("ChapCoreDown", "resolved", "upstream_down", receivers...))
	s.sink.waitAtLeast(t, mark, all, notifyTimeout)
	time.Sleep(quiet)
	s.sink.expectExactly(t, mark, all)
}

// badCredentials: DHIS2 answers 401 to every credential. One DHIS2AuthenticationFailed
// each (not DHIS2Unreachable), none for the checks behind dhis2_ping, one resolved.
func badCredentials(t *testing.T, s *stack) {
	mark := s.sink.mark()
	s.sim(t, http.MethodPost, "/__sim/scenario/bad-credentials", "")
	firing := one("DHIS2AuthenticationFailed", "firing", "auth", receivers...)
	s.sink.waitAtLeast(t, mark, firing, notifyTimeout)
	time.Sleep(groupIntervals)
	s.sink.expectExactly(t, mark, firing)
	for _, a := range []string{"DHIS2Unreachable", "DHIS2SystemInfoFailing", "ChapRouteMissing", "ChapCoreDown",
		"ChapCoreVersionUnknown", "ChapModelingAppMissing", "ChapClimateAppMissing"} {
		expectNeverActive(t, s, a)
	}

	s.sim(t, http.MethodPost, "/__sim/reset", "")
	all := merge(firing, one("DHIS2AuthenticationFailed", "resolved", "auth", receivers...))
	s.sink.waitAtLeast(t, mark, all, notifyTimeout)
	time.Sleep(quiet)
	s.sink.expectExactly(t, mark, all)
}

// oneScrapeFlap: chap-core is down just long enough for one or two probes to see it.
// for: keeps the alert pending; nothing is sent.
func oneScrapeFlap(t *testing.T, s *stack) {
	mark := s.sink.mark()
	s.sim(t, http.MethodPost, "/__sim/scenario/chap-core-down", "")
	waitFor(t, "a failing probe in Prometheus", 10*time.Second, func() error {
		return s.expectSeries(`chap_check_status{instance="demo",check="dhis2_chap_ping",status="fail"} == 1`)
	})
	s.sim(t, http.MethodPost, "/__sim/reset", "")
	waitFor(t, "a passing probe in Prometheus", 10*time.Second, func() error {
		return s.expectSeries(`chap_check_status{instance="demo",check="dhis2_chap_ping",status="ok"} == 1`)
	})

	failed := s.scalar(t, `sum(sum_over_time(chap_check_status{instance="demo",check="dhis2_chap_ping",status="fail"}[`+s.window()+`]))`)
	t.Logf("probes that saw chap-core down: %v", failed)
	if failed < 1 || failed > 2 {
		t.Fatalf("the flap lasted %v probes; this scenario needs 1 or 2 (less than for: %s)", failed, ruleFor)
	}
	time.Sleep(quiet)
	s.sink.expectExactly(t, mark, nil)
	expectNeverFiring(t, s, "ChapCoreDown")
}

// exporterRestart: the exporter restarts in the middle of an outage and is away for
// about two scrapes (less than for: so ChapExporterDown stays quiet). The exporter keeps
// no state, and keep_firing_for bridges the missing probes, so nothing is sent again.
func exporterRestart(t *testing.T, s *stack) {
	mark := s.sink.mark()
	s.sim(t, http.MethodPost, "/__sim/scenario/chap-core-down", "")
	firing := one("ChapCoreDown", "firing", "upstream_down", receivers...)
	s.sink.waitAtLeast(t, mark, firing, notifyTimeout)

	s.exporter.stop(t)
	time.Sleep(2 * time.Second)
	s.startExporter()
	time.Sleep(groupIntervals)
	t.Logf("failed probe scrapes around the restart: %v", s.failedProbeScrapes(t))
	s.sink.expectExactly(t, mark, firing)

	s.sim(t, http.MethodPost, "/__sim/reset", "")
	all := merge(firing, one("ChapCoreDown", "resolved", "upstream_down", receivers...))
	s.sink.waitAtLeast(t, mark, all, notifyTimeout)
	time.Sleep(quiet)
	s.sink.expectExactly(t, mark, all)
}

// exporterDownLong: the exporter is down for longer than for + keep_firing_for during
// an outage. ChapExporterDown is sent once (to Slack only: the example gives the
// exporter's job notify: slack) and resolves once; ChapCoreDown is held, so it neither
// resolves during the gap nor fires again after it.
func exporterDownLong(t *testing.T, s *stack) {
	mark := s.sink.mark()
	s.sim(t, http.MethodPost, "/__sim/scenario/chap-core-down", "")
	firing := one("ChapCoreDown", "firing", "upstream_down", receivers...)
	s.sink.waitAtLeast(t, mark, firing, notifyTimeout)

	s.exporter.stop(t)
	down := time.Now()
	exporterDown := one("ChapExporterDown", "firing", "", "slack")
	s.sink.waitAtLeast(t, mark, merge(firing, exporterDown), notifyTimeout)
	if gap := 10*time.Second - time.Since(down); gap > 0 {
		time.Sleep(gap) // longer than for + keep_firing_for (7s)
	}
	s.startExporter()
	t.Logf("exporter was down %v; failed probe scrapes: %v", time.Since(down).Round(100*time.Millisecond), s.failedProbeScrapes(t))
	time.Sleep(groupIntervals)

	s.sim(t, http.MethodPost, "/__sim/reset", "")
	all := merge(firing, exporterDown,
		one("ChapExporterDown", "resolved", "", "slack"),
		one("ChapCoreDown", "resolved", "upstream_down", receivers...))
	s.sink.waitAtLeast(t, mark, all, notifyTimeout)
	time.Sleep(quiet)
	s.sink.expectExactly(t, mark, all)
	// It can be pending for a scrape at the edges of the gap (the two jobs are scraped
	// at different moments), but must never fire.
	expectNeverFiring(t, s, "ChapProbeScrapeFailing")
}

// dhis2DownDuringChapAlert: ChapCoreDown fires, then DHIS2 itself fails (500 on
// /api/me), so dhis2_chap_ping is skipped and Alertmanager inhibits ChapCoreDown.
// ChapCoreDown is held (no resolved message that the inhibition would drop); after
// recovery both alerts send exactly one resolved message.
func dhis2DownDuringChapAlert(t *testing.T, s *stack) {
	mark := s.sink.mark()
	s.sim(t, http.MethodPost, "/__sim/scenario/chap-core-down", "")
	chapFiring := one("ChapCoreDown", "firing", "upstream_down", receivers...)
	s.sink.waitAtLeast(t, mark, chapFiring, notifyTimeout)

	s.sim(t, http.MethodPatch, "/__sim/state", `{"faults":{"me":{"status":500}}}`)
	firing := merge(chapFiring, one("DHIS2Unreachable", "firing", "http_status", receivers...))
	s.sink.waitAtLeast(t, mark, firing, notifyTimeout)
	time.Sleep(groupIntervals) // longer than keep_firing_for: without the hold it would resolve here
	s.sink.expectExactly(t, mark, firing)
	if err := s.expectSeries(`ALERTS{alertname="ChapCoreDown",alertstate="firing",instance="demo"}`); err != nil {
		t.Errorf("ChapCoreDown is not held while DHIS2 is down: %v", err)
	}

	s.sim(t, http.MethodPost, "/__sim/reset", "")
	all := merge(firing,
		one("DHIS2Unreachable", "resolved", "http_status", receivers...),
		one("ChapCoreDown", "resolved", "upstream_down", receivers...))
	s.sink.waitAtLeast(t, mark, all, notifyTimeout)
	time.Sleep(quiet)
	s.sink.expectExactly(t, mark, all)
}

// expectNeverActive fails if alertname was pending or firing for "demo" since the
// scenario began.
func expectNeverActive(t *testing.T, s *stack, alertname string) {
	t.Helper()
	expr := fmt.Sprintf(`count(count_over_time(ALERTS{alertname=%q}[%s])) or vector(0)`, alertname, s.window())
	if n := s.scalar(t, expr); n != 0 {
		t.Errorf("%s was pending or firing", alertname)
	}
}

// expectNeverFiring fails if alertname fired since the scenario began.
func expectNeverFiring(t *testing.T, s *stack, alertname string) {
	t.Helper()
	expr := fmt.Sprintf(`count(count_over_time(ALERTS{alertname=%q,alertstate="firing"}[%s])) or vector(0)`, alertname, s.window())
	if n := s.scalar(t, expr); n != 0 {
		t.Errorf("%s fired", alertname)
	}
}

// failedProbeScrapes is the number of failed /probe scrapes of "demo" since the
// scenario began.
func (s *stack) failedProbeScrapes(t *testing.T) float64 {
	w := s.window()
	return s.scalar(t, `count_over_time(up{job="chap_probe",instance="demo"}[`+w+`]) - sum_over_time(up{job="chap_probe",instance="demo"}[`+w+`])`)
}

// window is a PromQL range covering the time since the scenario began.
func (s *stack) window() string {
	return fmt.Sprintf("%ds", int(time.Since(s.began).Seconds())+1)
}

// scalar runs an instant query that returns one series and returns its value.
func (s *stack) scalar(t *testing.T, expr string) float64 {
	t.Helper()
	r, err := s.query(expr, true)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	if len(r.Result) != 1 {
		t.Fatalf("%s: %d series, want 1", expr, len(r.Result))
	}
	var sample struct {
		Value [2]any `json:"value"`
	}
	if err := json.Unmarshal(r.Result[0], &sample); err != nil {
		t.Fatal(err)
	}
	str, _ := sample.Value[1].(string)
	v, err := strconv.ParseFloat(str, 64)
	if err != nil {
		t.Fatalf("%s: value %v: %v", expr, sample.Value[1], err)
	}
	return v
}

// checkQueries runs, while chap-core is down, every PromQL expression of the Grafana
// dashboard and every rule, and checks which return data. The simulator serves plain
// http, so only the certificate queries return nothing.
func checkQueries(t *testing.T, s *stack) {
	waitFor(t, "a failure reason in Prometheus", 10*time.Second, func() error {
		return s.expectSeries(`chap_check_failure_info{instance="demo",check="dhis2_chap_ping"}`)
	})

	qs, err := grafana.Queries("../examples/grafana/chap-overview.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		r, err := s.query(q.Expr, q.Instant)
		if err != nil {
			t.Errorf("dashboard %s: %v\n%s", q.Source, err, q.Expr)
			continue
		}
		wantData := !strings.Contains(q.Raw, "probe_ssl_earliest_cert_expiry")
		if got := len(r.Result) > 0; got != wantData {
			t.Errorf("dashboard %s: returns data = %v, want %v\n%s", q.Source, got, wantData, q.Expr)
		}
	}
	t.Logf("ran %d dashboard queries", len(qs))

	var rules struct {
		Groups []struct {
			Rules []struct {
				Name      string `json:"name"`
				Query     string `json:"query"`
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := s.promAPI("/api/v1/rules", nil, &rules); err != nil {
		t.Fatal(err)
	}
	// The rules that return data while chap-core is down; every other one returns none.
	wantData := map[string]bool{
		"chap_check:failing":    true, // dhis2_chap_ping
		"chap_check:state_held": true, // dhis2_chap_system_info is skipped
		"ChapCoreDown":          true,
	}
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			n++
			if r.Health != "ok" || r.LastError != "" {
				t.Errorf("rule %s: health %q, last error %q", r.Name, r.Health, r.LastError)
			}
			res, err := s.query(r.Query, true)
			if err != nil {
				t.Errorf("rule %s: %v", r.Name, err)
				continue
			}
			if got := len(res.Result) > 0; got != wantData[r.Name] {
				t.Errorf("rule %s: returns data = %v, want %v", r.Name, got, wantData[r.Name])
			}
		}
	}
	if n != 14 {
		t.Errorf("Prometheus loaded %d rules, want 14", n)
	}
	t.Logf("ran %d rule queries", n)
}
