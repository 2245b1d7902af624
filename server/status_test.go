package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim/simtest"
	"github.com/dhis2-chap/chap_exporter/internal/testkit"
	"github.com/dhis2-chap/chap_exporter/report"
)

func TestStatusJSON(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(*dhis2sim.State)
		code    int
		status  string
		states  map[string]string
		timeout float64
	}{
		{"healthy", func(*dhis2sim.State) {}, 200, "healthy",
			map[string]string{"dhis2_ping": "healthy", "dhis2_chap_system_info": "healthy"}, 10},
		{"warn is degraded, still 200", func(st *dhis2sim.State) { dhis2sim.ApplyScenario(st, "apps-without-version") }, 200, "degraded",
			map[string]string{"dhis2_chap_modeling_app": "degraded", "dhis2_ping": "healthy"}, 10},
		{"fail is unhealthy, 503, dependents skipped", func(st *dhis2sim.State) { st.ChapCoreDown = true }, 503, "unhealthy",
			map[string]string{"dhis2_chap_ping": "unhealthy", "dhis2_chap_system_info": "skipped", "dhis2_ping": "healthy"}, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.sim.Update(tt.setup)
			code, body := f.get(t, "/status?target=demo")
			if code != tt.code {
				t.Errorf("status code %d, want %d", code, tt.code)
			}
			var h report.Health
			if err := json.Unmarshal([]byte(body), &h); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, body)
			}
			if h.Status != tt.status || h.Target != "demo" || h.TimeoutSeconds != tt.timeout {
				t.Errorf("status %q target %q timeout %v, want %q demo %v", h.Status, h.Target, h.TimeoutSeconds, tt.status, tt.timeout)
			}
			for check, want := range tt.states {
				if got := h.Checks[check].State; got != want {
					t.Errorf("%s state = %q, want %q (%s)", check, got, want, h.Checks[check].Message)
				}
			}
			if len(h.Order) != len(h.Checks) || len(h.Checks) != 8 {
				t.Errorf("%d checks, order %v", len(h.Checks), h.Order)
			}
		})
	}
}

func TestStatusUsesProbeBudgetAndRejections(t *testing.T) {
	f := newFixture(t)
	_, body := f.get(t, "/status?target=demo", "X-Prometheus-Scrape-Timeout-Seconds", "3")
	if !strings.Contains(body, `"timeout_seconds": 2.5`) {
		t.Errorf("budget not capped by the scrape timeout header:\n%s", body)
	}
	for path, want := range map[string]string{
		"/status":                        "missing target parameter: use /status?target=NAME\n",
		"/status?target=nope":            "unknown target \"nope\": configured targets are basic, demo, inline\n",
		"/status?target=demo&target=doc": "target parameter given more than once\n",
	} {
		if code, body := f.get(t, path); code != 400 || body != want {
			t.Errorf("GET %s = %d %q, want 400 %q", path, code, body, want)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, f.exporter.URL+"/status?target=demo", nil)
	if code, body := do(t, req); code != 405 || body != "/status takes GET or HEAD\n" {
		t.Errorf("POST /status = %d %q, want 405 \"/status takes GET or HEAD\"", code, body)
	}
	_, m := f.get(t, "/metrics")
	for _, want := range []string{
		`chap_exporter_probes_total{result="success",target="demo"} 1`,
		`chap_exporter_probe_requests_rejected_total{reason="method_not_allowed"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/status requests are not counted like /probe's: /metrics lacks %s", want)
		}
	}
}

func TestServiceDiscovery(t *testing.T) {
	f := newFixture(t)
	good := f.readConfig(t)
	f.writeConfig(t, strings.Replace(strings.Replace(good, "  basic:\n", "  basic:\n    labels: {env: prod, notify: slack}\n", 1),
		"  demo:\n", "  demo:\n    display_name: Sierra Leone HMIS\n", 1))
	f.reload(t)
	code, body := f.get(t, "/sd")
	want := `[{"targets":["basic"],"labels":{"env":"prod","kind":"dhis2","notify":"slack"}},` +
		`{"targets":["demo"],"labels":{"display_name":"Sierra Leone HMIS","kind":"dhis2"}},{"targets":["inline"],"labels":{"kind":"dhis2"}}]` + "\n"
	if code != 200 || body != want {
		t.Errorf("GET /sd = %d\n%s\nwant\n%s", code, body, want)
	}
}

// TestEveryKindOnEveryPage: a configuration mixing the three kinds, with
// display names, on /probe, the debug view, /status and the status page.
func TestEveryKindOnEveryPage(t *testing.T) {
	f := newFixture(t)
	f.writeConfig(t, testkit.ReadExpanded(t, "testdata/every-kind.yml", map[string]string{
		"SIM_URL":     f.simURL,
		"PASSWORD":    canaryPassword,
		"OCS_URL":     simtest.ServeScenario(t, dhis2sim.ServiceOCS, "healthy"),
		"CHAPKIT_URL": simtest.ServeScenario(t, dhis2sim.ServiceChapkit, "degraded"),
	}))
	f.reload(t)

	_, metrics := f.get(t, "/probe?target=nepal-ocs")
	for _, want := range []string{"probe_success 1", `chap_check_version_info{check="ocs_info",revision="",version="0.1.0"} 1`, `chap_check_up{check="ocs_health"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/probe?target=nepal-ocs lacks %s:\n%s", want, metrics)
		}
	}
	_, debug := f.get(t, "/probe?target=ewars-model&debug=true")
	for _, want := range []string{`Probe of target "ewars-model" (ewars-model, kind chapkit)`, "chapkit_health: warn (not_ready)",
		"service reports status degraded: redis degraded (Redis unavailable: ", "subsystem redis: degraded", "subsystem database: healthy",
		`chap_check_subsystem_up{check="chapkit_health",subsystem="redis"} 0`} {
		if !strings.Contains(debug, want) {
			t.Errorf("debug view lacks %q:\n%s", want, debug)
		}
	}
	_, debug = f.get(t, "/probe?target=demo&debug=true")
	if !strings.Contains(debug, `Probe of target "demo" (Sierra Leone HMIS, kind dhis2)`) {
		t.Errorf("debug header lacks the display name:\n%.200s", debug)
	}
	code, body := f.get(t, "/status?target=nepal-ocs")
	var h report.Health
	if err := json.Unmarshal([]byte(body), &h); err != nil || code != 200 {
		t.Fatalf("/status = %d %v\n%s", code, err, body)
	}
	if h.DisplayName != "Nepal climate service" || h.Kind != "ocs" || h.Checks["ocs_info"].Version != "0.1.0" {
		t.Errorf("/status = %+v", h)
	}
	_, page := f.get(t, "/")
	for _, want := range []string{
		`<a href="targets/nepal-ocs">Nepal climate service</a></h3> <span class="kind">Open Climate Service</span>`,
		`<a href="targets/demo">Sierra Leone HMIS</a></h3> <span class="kind">DHIS2</span>`,
		`<a href="targets/ewars-model">ewars-model</a></h3> <span class="kind">chapkit</span>`,
		`<b>chapkit health</b> warning</span> <span class="reason">(not_ready)</span>: service reports status degraded: redis degraded`,
		`OCS health<span class="sr"> ok</span>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("status page lacks %s", want)
		}
	}
}
