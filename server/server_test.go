package server_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/server"
)

const (
	canaryPassword = "canary-pw-6b1f"
	canaryToken    = "d2pat_canary-token-93ad"
)

// fixture is an exporter serving a config with two targets on one simulator.
type fixture struct {
	sim        *dhis2sim.Sim
	exporter   *httptest.Server
	srv        *server.Server
	configFile string
	logs       *syncBuffer
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	sim := dhis2sim.New(dhis2sim.Options{Password: canaryPassword, Token: canaryToken})
	dhis2 := httptest.NewServer(sim)
	t.Cleanup(dhis2.Close)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(canaryToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FIXTURE_PASSWORD", canaryPassword)
	f := &fixture{sim: sim, configFile: filepath.Join(dir, "chap.yml"), logs: &syncBuffer{}}
	f.writeConfig(t, fmt.Sprintf(`targets:
  demo:
    url: %[1]s
    auth: {token_file: token}
  basic:
    url: %[1]s
    auth: {username: admin, password_env: FIXTURE_PASSWORD}
    checks: [dhis2_system_info]
  inline:
    url: %[1]s
    auth: {username: admin, password: %[2]s}
    checks: [dhis2_ping]
`, dhis2.URL, canaryPassword))
	logger := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := server.New(server.Options{ConfigFile: f.configFile, Logger: logger, UserAgent: "chap_exporter/test", TimeoutOffset: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	f.exporter = httptest.NewServer(srv.Handler())
	t.Cleanup(f.exporter.Close)
	return f
}

func (f *fixture) writeConfig(t *testing.T, content string) {
	t.Helper()
	if err := os.WriteFile(f.configFile, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) get(t *testing.T, path string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.exporter.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.sim.ClearRequests()
			req, _ := http.NewRequest(tt.method, f.exporter.URL+tt.path, nil)
			code, body := do(t, req)
			if code != tt.code || body != tt.body {
				t.Errorf("got %d %q, want %d %q", code, body, tt.code, tt.body)
			}
			if n := len(f.sim.Requests()); n != 0 {
				t.Errorf("%d requests reached DHIS2, want none", n)
			}
		})
	}
	_, metrics := f.get(t, "/metrics")
	for _, want := range []string{
		`chap_exporter_probe_requests_rejected_total{reason="missing_target"} 2`,
		`chap_exporter_probe_requests_rejected_total{reason="unknown_target"} 3`,
		`chap_exporter_probe_requests_rejected_total{reason="bad_request"} 2`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
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
	outputs = append(outputs, body, f.logs.String())
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
	reload := func() (int, string) {
		req, _ := http.NewRequest(http.MethodPost, f.exporter.URL+"/-/reload", nil)
		return do(t, req)
	}
	if code, body := reload(); code != 200 || body != "configuration unchanged\n" {
		t.Errorf("unchanged reload = %d %q", code, body)
	}

	good, _ := os.ReadFile(f.configFile)
	f.writeConfig(t, string(good)+"  broken:\n    url: ftp://x\n")
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
	f.writeConfig(t, strings.Replace(string(good), "demo:", "renamed:", 1))
	if code, body := reload(); code != 200 || body != "configuration reloaded\n" {
		t.Errorf("good reload = %d %q", code, body)
	}
	if code, _ := f.get(t, "/probe?target=demo"); code != 400 {
		t.Errorf("removed target answered %d, want 400", code)
	}
	if code, body := f.get(t, "/probe?target=renamed"); code != 200 || !strings.Contains(body, "probe_success 1") {
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
		{"/", 200, `<a href="probe?target=demo&amp;debug=true">debug</a>`},
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
