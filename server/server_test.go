package server_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/server"
)

func TestProbeRejectsBadRequests(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		method string
		path   string
		code   int
		body   string
	}{
		{"missing target", "GET", "/probe", 400, "missing target parameter: use /probe?target=NAME\n"},
		{"empty target", "GET", "/probe?target=", 400, "missing target parameter: use /probe?target=NAME\n"},
		{"unknown target", "GET", "/probe?target=nope", 400, "unknown target \"nope\": configured targets are basic, demo, inline\n"},
		{"URL as target is just an unknown name", "GET", "/probe?target=http://169.254.169.254/", 400, "unknown target \"http://169.254.169.254/\": configured targets are basic, demo, inline\n"},
		{"repeated target", "GET", "/probe?target=demo&target=basic", 400, "target parameter given more than once\n"},
		{"odd debug value", "GET", "/probe?target=demo&debug=yes", 400, "debug must be true or false, not \"yes\"\n"},
		{"long target is truncated", "GET", "/probe?target=" + strings.Repeat("x", 5000), 400, "unknown target \"" + strings.Repeat("x", 64) + "…\": configured targets are basic, demo, inline\n"},
		{"POST", "POST", "/probe?target=demo", 405, "/probe takes GET or HEAD\n"},
		{"PUT", "PUT", "/probe?target=demo", 405, "/probe takes GET or HEAD\n"},
		{"DELETE", "DELETE", "/probe?target=demo", 405, "/probe takes GET or HEAD\n"},
		{"OPTIONS", "OPTIONS", "/probe?target=demo", 405, "/probe takes GET or HEAD\n"},
		{"repeated debug", "GET", "/probe?target=demo&debug=true&debug=false", 400, "debug parameter given more than once\n"},
		{"empty debug", "GET", "/probe?target=demo&debug=", 400, "debug must be true or false, not \"\"\n"},
		{"long debug is truncated", "GET", "/probe?target=demo&debug=" + strings.Repeat("y", 5000), 400, "debug must be true or false, not \"" + strings.Repeat("y", 64) + "…\"\n"},
		{"target with a newline stays one line", "GET", "/probe?target=demo%0Aprobe_success%201", 400, "unknown target \"demo\\nprobe_success 1\": configured targets are basic, demo, inline\n"},
		{"target with invalid UTF-8", "GET", "/probe?target=%ff%fe", 400, "unknown target \"\\xff\\xfe\": configured targets are basic, demo, inline\n"},
		{"semicolon query is not a target", "GET", "/probe?target=demo;debug=true", 400, "missing target parameter: use /probe?target=NAME\n"},
		{"many repeated parameters", "GET", "/probe?" + strings.Repeat("target=demo&", 1000), 400, "target parameter given more than once\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.sim.ClearRequests()
			req, _ := http.NewRequest(tt.method, f.exporter.URL+tt.path, nil)
			code, body := do(t, req)
			if code != tt.code || body != tt.body {
				t.Errorf("got %d %q, want %d %q", code, body, tt.code, tt.body)
			}
			if strings.Count(body, "\n") != 1 {
				t.Errorf("answer is not one line: %q", body)
			}
			if n := len(f.sim.Requests()); n != 0 {
				t.Errorf("%d requests reached DHIS2, want none", n)
			}
		})
	}
	_, metrics := f.get(t, "/metrics")
	for _, want := range []string{
		`chap_exporter_probe_requests_rejected_total{reason="missing_target"} 3`,
		`chap_exporter_probe_requests_rejected_total{reason="unknown_target"} 5`,
		`chap_exporter_probe_requests_rejected_total{reason="bad_request"} 6`,
		`chap_exporter_probe_requests_rejected_total{reason="method_not_allowed"} 4`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestUnknownTargetListIsBounded: with many targets configured, the answer
// to an unknown one names the first ten and counts the rest.
func TestUnknownTargetListIsBounded(t *testing.T) {
	f := newFixture(t)
	config := f.readConfig(t)
	for i := range 20 {
		config += fmt.Sprintf("  extra%02d:\n    url: %s\n    checks: [dhis2_ping]\n", i, f.simURL)
	}
	f.writeConfig(t, config)
	f.reload(t)
	want := "unknown target \"nope\": configured targets are basic, demo, extra00, extra01, extra02, extra03, extra04, extra05, extra06, extra07, and 13 more\n"
	if code, body := f.get(t, "/probe?target=nope"); code != http.StatusBadRequest || body != want {
		t.Errorf("unknown target among 23 = %d %q, want 400 %q", code, body, want)
	}
}

func TestProbeAnswers200EvenWhenTargetIsDown(t *testing.T) {
	f := newFixture(t)
	f.sim.Update(func(st *dhis2sim.State) { st.ChapCoreDown = true })
	code, body := f.get(t, "/probe?target=demo", "X-Prometheus-Scrape-Timeout-Seconds", "3")
	if code != 200 {
		t.Fatalf("status %d, want 200", code)
	}
	for _, want := range []string{
		"probe_success 0",
		"probe_timeout_seconds 2.5",
		`chap_check_failure_info{check="dhis2_chap_ping",reason="upstream_down"} 1`,
		`chap_check_status{check="dhis2_chap_system_info",status="skipped"} 1`,
		`chap_check_http_status_code{check="dhis2_chap_ping"} 502`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("probe output lacks %q", want)
		}
	}
	if strings.Contains(body, "instance=") || strings.Contains(body, "target=") {
		t.Error("probe output carries a target or instance label")
	}
}

func TestDebugExplainsEachCheck(t *testing.T) {
	f := newFixture(t)
	f.sim.Update(func(st *dhis2sim.State) { st.ChapCoreDown = true })
	code, body := f.get(t, "/probe?target=demo&debug=true")
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	for _, want := range []string{
		`Probe of target "demo"`,
		"dhis2_chap_ping: fail (upstream_down)",
		"    GET /api/routes/chap/run/health → 502 in ",
		"    DHIS2 route returned 502: chap-core did not respond",
		"dhis2_chap_system_info: skipped (requirement)",
		"    requires dhis2_chap_ping, which is fail",
		"(shared with another check)",
		"Metrics that would have been returned:",
		"probe_success 0",
		"Target configuration (secrets hidden):",
		"token_file: ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("debug output lacks %q:\n%s", want, body)
		}
	}
}

// TestCanarySecretsNeverAppear drives every output the exporter has, with
// debug logging, and looks for the credentials and their Basic encoding.
func TestCanarySecretsNeverAppear(t *testing.T) {
	f := newFixture(t)
	var outputs []string
	for _, path := range []string{"/probe?target=demo", "/probe?target=demo&debug=true", "/probe?target=basic&debug=true", "/probe?target=inline&debug=true", "/config", "/", "/metrics"} {
		_, body := f.get(t, path)
		outputs = append(outputs, body)
	}
	f.sim.Update(func(st *dhis2sim.State) { st.RejectCredentials = true })
	_, body := f.get(t, "/probe?target=basic&debug=true")
	outputs = append(outputs, body)

	// DHIS2 (or a proxy) echoing the credential it received back in an error message.
	echoes := map[string]string{
		"demo":   "ApiToken " + canaryToken,
		"basic":  "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:"+canaryPassword)),
		"inline": "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:"+canaryPassword)),
	}
	for target, header := range echoes {
		f.sim.Update(func(st *dhis2sim.State) {
			st.RejectCredentials = false
			st.SetFault(dhis2sim.Me, dhis2sim.Fault{Status: 500,
				Body: fmt.Sprintf(`{"httpStatus":"Internal Server Error","message":"bad header %s"}`, header)})
		})
		_, body := f.get(t, "/probe?target="+target+"&debug=true")
		scheme, _, _ := strings.Cut(header, " ")
		if !strings.Contains(body, "bad header "+scheme+" <secret>") {
			t.Errorf("%s: the echoed credential was not shown as <secret>:\n%s", target, body)
		}
		_, status := f.get(t, "/status?target="+target)
		outputs = append(outputs, body, status)
	}

	// Broken configurations with a secret in the wrong place: the reload
	// error (answer and log line) must not repeat it.
	good, err := os.ReadFile(f.configFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, broken := range []string{
		"    auth: {username: admin, password: [" + canaryPassword + "]}\n",
		"    auth: {username: admin, password: \"" + canaryPassword[:2] + "\\n" + canaryPassword[2:] + "\", token: x}\n",
		"    tokn: " + canaryToken + "\n",
		"    checks: " + canaryToken + "\n",
	} {
		f.writeConfig(t, "targets:\n  demo:\n    url: http://dhis2.example.org\n"+broken)
		req, _ := http.NewRequest(http.MethodPost, f.exporter.URL+"/-/reload", nil)
		code, body := do(t, req)
		if code != 500 {
			t.Errorf("broken config %q reloaded with %d", broken, code)
		}
		outputs = append(outputs, body)
	}
	for _, url := range []string{"http://admin:" + canaryPassword + "@dhis2.example.org", "http://dhis2.example.org/?token=" + canaryToken} {
		f.writeConfig(t, "targets:\n  demo:\n    url: "+url+"\n")
		req, _ := http.NewRequest(http.MethodPost, f.exporter.URL+"/-/reload", nil)
		_, body := do(t, req)
		outputs = append(outputs, body)
	}
	f.writeConfig(t, string(good))
	if _, err := f.srv.Reload(); err != nil && !errors.Is(err, server.ErrUnchanged) {
		t.Fatal(err)
	}
	for _, path := range []string{"/config", "/", "/metrics", "/sd", "/badge/demo.svg"} {
		_, body := f.get(t, path)
		outputs = append(outputs, body)
	}
	// The target pages show the last run's debug report, the echoes included.
	for target := range echoes {
		_, page := f.get(t, "/targets/"+target)
		if !strings.Contains(page, "bad header ") || !strings.Contains(page, " &lt;secret&gt;") {
			t.Errorf("/targets/%s does not show the echoed credential as <secret>", target)
		}
		outputs = append(outputs, page)
	}
	outputs = append(outputs, f.logs.String())
	basic := "YWRtaW46Y2FuYXJ5LXB3LTZiMWY" // base64("admin:canary-pw-6b1f") prefix
	for i, out := range outputs {
		for _, canary := range []string{canaryPassword, canaryToken, basic} {
			if strings.Contains(out, canary) {
				t.Errorf("output %d contains secret %q", i, canary)
			}
		}
	}
	if !strings.Contains(f.logs.String(), "Check finished") {
		t.Error("debug logs were not written; the canary test would prove nothing")
	}
}

func TestReload(t *testing.T) {
	f := newFixture(t)
	reload := func() (int, string) { return do(t, f.request(t, http.MethodPost, "/-/reload")) }
	if code, body := reload(); code != 200 || body != "configuration unchanged\n" {
		t.Errorf("unchanged reload = %d %q", code, body)
	}

	good := f.readConfig(t)
	f.writeConfig(t, good+"  broken:\n    url: ftp://x\n")
	code, body := reload()
	if code != 500 || !strings.Contains(body, `chap.yml:14: target "broken": url: scheme must be http or https`) {
		t.Errorf("bad reload = %d %q", code, body)
	}
	if code, _ := f.get(t, "/probe?target=demo"); code != 200 {
		t.Errorf("after a failed reload the old config must still serve demo, got %d", code)
	}
	if _, m := f.get(t, "/metrics"); !strings.Contains(m, "chap_exporter_config_last_reload_successful 0") {
		t.Error("reload gauge not 0 after a failed reload")
	}

	// Rename demo to renamed: the old name answers 400, the new one works.
	f.writeConfig(t, strings.Replace(good, "demo:", "renamed:", 1))
	if code, body := reload(); code != 200 || body != "configuration reloaded\n" {
		t.Errorf("good reload = %d %q", code, body)
	}
	if code, _ := f.get(t, "/probe?target=demo"); code != 400 {
		t.Errorf("removed target answered %d, want 400", code)
	}
	if code, body := f.get(t, "/probe?target=renamed"); code != 200 || !strings.Contains(body, "\nprobe_success 1\n") {
		t.Errorf("added target answered %d:\n%s", code, body)
	}
	if _, m := f.get(t, "/metrics"); !strings.Contains(m, "chap_exporter_config_last_reload_successful 1") {
		t.Error("reload gauge not 1 after a good reload")
	}
	if code, _ := f.get(t, "/-/reload"); code != 405 {
		t.Errorf("GET /-/reload = %d, want 405", code)
	}
}

func TestEndpoints(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		path string
		code int
		want string
	}{
		{"/", 200, `<a href="targets/demo">demo</a>`},
		{"/targets/demo", 200, `<a href="../probe?target=demo&amp;debug=true">debug</a>`},
		{"/targets/nope", 404, `unknown target "nope"`},
		{"/badge/demo.svg", 200, `aria-label="chap: unknown"`},
		{"/badge/nope.svg", 404, "no badge here"},
		{"/-/healthy", 200, "Healthy"},
		{"/-/ready", 200, "Ready"},
		{"/config", 200, "password: <secret>"},
		{"/metrics", 200, "chap_exporter_build_info"},
		{"/nope", 404, "404 page not found"},
	}
	for _, tt := range tests {
		code, body := f.get(t, tt.path)
		if code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("GET %s = %d, want %d containing %q:\n%s", tt.path, code, tt.code, tt.want, body)
		}
	}
}
