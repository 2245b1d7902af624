package prober_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/config"
	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim/simtest"
	"github.com/dhis2-chap/chap_exporter/prober"
)

// builtinChecks is the check-name interface users configure and alert on.
var builtinChecks = []string{
	"dhis2_ping", "http_2xx", "dhis2_chap_route", "dhis2_system_info",
	"dhis2_chap_climate_app", "dhis2_chap_modeling_app", "dhis2_chap_ping", "dhis2_chap_system_info",
}

func TestBuiltinChecksInRunOrder(t *testing.T) {
	if got := prober.Defaults(config.KindDHIS2); !slices.Equal(got, builtinChecks) {
		t.Errorf("Defaults() = %v, want %v", got, builtinChecks)
	}
}

// simTarget serves a fresh simulator and returns it with a target config
// pointing at it, authenticated with the simulator's default token.
func simTarget(t testing.TB, tls bool) (*dhis2sim.Sim, *httptest.Server, *config.Target) {
	t.Helper()
	sim := dhis2sim.New(dhis2sim.Options{})
	srv := simtest.Serve(t, sim, tls)
	t.Setenv("SIM_TOKEN", dhis2sim.DefaultToken)
	return sim, srv, loadTarget(t, fmt.Sprintf("url: %s\nauth: {token_env: SIM_TOKEN}\n", srv.URL))
}

// loadTarget parses one target's YAML body through the real config loader.
func loadTarget(t testing.TB, body string) *config.Target {
	t.Helper()
	dir := t.TempDir()
	indented := "    " + strings.ReplaceAll(strings.TrimSpace(body), "\n", "\n    ")
	path := filepath.Join(dir, "chap.yml")
	if err := os.WriteFile(path, []byte("targets:\n  sim:\n"+indented+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, prober.KindsOf)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Targets["sim"]
}

func probe(t *testing.T, target *config.Target, timeout time.Duration) *prober.Report {
	t.Helper()
	p, err := prober.New(target, prober.NewHostLimiter(prober.DefaultMaxRequestsPerHost), prober.Options{UserAgent: "chap_exporter/test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p.Probe(context.Background(), timeout)
}

// outcome is "status" or "status/reason".
func outcome(r prober.Result) string {
	if r.Reason == "" {
		return string(r.Status)
	}
	return string(r.Status) + "/" + string(r.Reason)
}

func outcomes(r *prober.Report) map[string]string {
	m := map[string]string{}
	for _, c := range r.Checks {
		m[c.Check] = outcome(c)
	}
	return m
}

// skippedAfter marks the checks that must be skipped.
func skippedAfter(checks ...string) map[string]string {
	m := map[string]string{}
	for _, c := range checks {
		m[c] = "skipped/requirement"
	}
	return m
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

var (
	chapChain     = []string{"dhis2_chap_ping", "dhis2_chap_system_info", "dhis2_chap_modeling_app", "dhis2_chap_climate_app"}
	allButPing    = append([]string{"dhis2_system_info", "dhis2_chap_route"}, chapChain...)
	afterRoute    = chapChain
	afterChapPing = []string{"dhis2_chap_system_info"}
)

func TestProbeAgainstSimulatorScenarios(t *testing.T) {
	tests := []struct {
		scenario string
		// want lists the checks that are not simply "ok".
		want    map[string]string
		success bool
	}{
		{"healthy", nil, true},
		{"slow", nil, true},
		{"bad-credentials", merge(map[string]string{"dhis2_ping": "fail/auth"}, skippedAfter(allButPing...)), false},
		{"legacy-login-redirect", merge(map[string]string{"dhis2_ping": "fail/auth"}, skippedAfter(allButPing...)), false},
		{"login-page", merge(map[string]string{"dhis2_ping": "fail/auth"}, skippedAfter(allButPing...)), false},
		{"not-dhis2", merge(map[string]string{"dhis2_ping": "fail/not_found"}, skippedAfter(allButPing...)), false},
		{"malformed-json", map[string]string{"dhis2_system_info": "fail/bad_response"}, false},
		{"wrong-shape", map[string]string{"dhis2_chap_modeling_app": "fail/bad_response", "dhis2_chap_climate_app": "fail/bad_response"}, false},
		{"no-route-api", merge(map[string]string{"dhis2_chap_route": "fail/not_found"}, skippedAfter(afterRoute...)), false},
		{"route-missing", merge(map[string]string{"dhis2_chap_route": "fail/missing"}, skippedAfter(afterRoute...)), false},
		{"route-disabled", merge(map[string]string{"dhis2_chap_route": "warn/disabled", "dhis2_chap_ping": "fail/not_found"}, skippedAfter(afterChapPing...)), false},
		{"modeling-app-missing", map[string]string{"dhis2_chap_modeling_app": "fail/missing"}, false},
		{"climate-app-missing", map[string]string{"dhis2_chap_climate_app": "fail/missing"}, false},
		{"apps-without-version", map[string]string{"dhis2_chap_modeling_app": "warn/no_version", "dhis2_chap_climate_app": "warn/no_version"}, true},
		{"camel-case-app-hub-id", nil, true},
		{"chap-core-down", merge(map[string]string{"dhis2_chap_ping": "fail/upstream_down"}, skippedAfter(afterChapPing...)), false},
		{"chap-core-slow", merge(map[string]string{"dhis2_chap_ping": "fail/upstream_timeout"}, skippedAfter(afterChapPing...)), false},
		{"chap-core-v1.2", nil, true},
		{"chap-core-v1.1", nil, true},
		{"chap-core-requires-token", nil, true},
		{"chap-core-unready", nil, true},
		{"remote-server-not-allowed", merge(map[string]string{"dhis2_chap_ping": "fail/route_not_allowed"}, skippedAfter(afterChapPing...)), false},
		{"route-forbidden", merge(map[string]string{"dhis2_chap_ping": "fail/forbidden"}, skippedAfter(afterChapPing...)), false},
		// Scenarios of the OCS and chapkit services leave DHIS2 alone; the
		// fault matrix probes them against those services.
		{"degraded", nil, true},
		{"unhealthy", nil, true},
		{"unhealthy-503", nil, true},
		{"health-missing", nil, true},
		{"health-not-json", nil, true},
		{"info-missing", nil, true},
		{"capabilities-not-json", nil, true},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.scenario] = true
		t.Run(tt.scenario, func(t *testing.T) {
			sim, _, target := simTarget(t, false)
			sim.Update(func(st *dhis2sim.State) {
				if err := dhis2sim.ApplyScenario(st, tt.scenario); err != nil {
					t.Fatal(err)
				}
			})
			checkOutcomes(t, probe(t, target, 5*time.Second), tt.want, tt.success)
		})
	}
	for _, s := range dhis2sim.Scenarios() {
		if !covered[s.Name] {
			t.Errorf("simulator scenario %q has no expectation here", s.Name)
		}
	}
}

// checkOutcomes asserts the outcome of every built-in check (want lists
// those that are not simply ok) and the probe's success.
func checkOutcomes(t *testing.T, report *prober.Report, want map[string]string, success bool) {
	t.Helper()
	checkOutcomesOf(t, report, builtinChecks, want, success)
}

// checkOutcomesOf is checkOutcomes for a target that runs checks.
func checkOutcomesOf(t *testing.T, report *prober.Report, checks []string, want map[string]string, success bool) {
	t.Helper()
	got := outcomes(report)
	if len(got) != len(checks) {
		t.Errorf("probe ran %d checks (%v), want %v", len(got), got, checks)
	}
	for _, check := range checks {
		w := want[check]
		if w == "" {
			w = "ok"
		}
		if got[check] != w {
			t.Errorf("%s = %s, want %s (message: %s)", check, got[check], w, message(report, check))
		}
	}
	if report.Success() != success {
		t.Errorf("Success() = %t, want %t", report.Success(), success)
	}
}

func message(r *prober.Report, check string) string {
	for _, c := range r.Checks {
		if c.Check == check {
			return c.Message
		}
	}
	return "<check not run>"
}

func result(t *testing.T, r *prober.Report, check string) prober.Result {
	t.Helper()
	for _, c := range r.Checks {
		if c.Check == check {
			return c
		}
	}
	t.Fatalf("check %s not in report", check)
	return prober.Result{}
}

func TestVersionsAreRead(t *testing.T) {
	tests := []struct {
		scenario string
		check    string
		version  string
		revision string
	}{
		{"healthy", "dhis2_system_info", "2.42.1", "a1b2c3d"},
		{"healthy", "dhis2_chap_system_info", "2.1.0", "c12ec120"},
		{"healthy", "dhis2_chap_modeling_app", "6.3.0", ""},
		{"chap-core-v1.2", "dhis2_chap_system_info", "1.2.4", ""},
		{"chap-core-v1.1", "dhis2_chap_system_info", "1.1.6", ""},
		{"camel-case-app-hub-id", "dhis2_chap_climate_app", "1.4.2", ""},
	}
	for _, tt := range tests {
		t.Run(tt.scenario+"/"+tt.check, func(t *testing.T) {
			sim, _, target := simTarget(t, false)
			sim.Update(func(st *dhis2sim.State) { _ = dhis2sim.ApplyScenario(st, tt.scenario) })
			r := result(t, probe(t, target, 5*time.Second), tt.check)
			if r.Version != tt.version || r.Revision != tt.revision {
				t.Errorf("version, revision = %q, %q; want %q, %q (%s)", r.Version, r.Revision, tt.version, tt.revision, r.Message)
			}
		})
	}
}

func TestAuthModes(t *testing.T) {
	tests := []struct {
		name     string
		auth     string
		scenario string
		want     string
		message  string
	}{
		{"token accepted", "{token_env: SIM_TOKEN}", "healthy", "ok", "authenticated as admin"},
		{"basic accepted", "{username: admin, password_env: SIM_PASSWORD}", "healthy", "ok", "authenticated as admin"},
		{"wrong password", "{username: admin, password_env: SIM_WRONG}", "healthy", "fail/auth", "DHIS2 answered 401"},
		{"no credentials", "{}", "healthy", "fail/auth", "DHIS2 answered 401"},
		{"old DHIS2 redirects token requests to login", "{token_env: SIM_TOKEN}", "legacy-login-redirect", "fail/auth", "redirected to /dhis-web-commons/security/login.action"},
		{"old DHIS2 answers Basic with 401", "{username: admin, password_env: SIM_PASSWORD}", "legacy-login-redirect", "fail/auth", "DHIS2 answered 401"},
		{"SSO login page", "{token_env: SIM_TOKEN}", "login-page", "fail/auth", "HTML page instead of JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, srv, _ := simTarget(t, false)
			t.Setenv("SIM_PASSWORD", dhis2sim.DefaultPassword)
			t.Setenv("SIM_WRONG", "not-the-password")
			sim.Update(func(st *dhis2sim.State) { _ = dhis2sim.ApplyScenario(st, tt.scenario) })
			target := loadTarget(t, fmt.Sprintf("url: %s\nauth: %s\nchecks: [dhis2_ping]", srv.URL, tt.auth))
			r := result(t, probe(t, target, 5*time.Second), "dhis2_ping")
			if outcome(r) != tt.want || !strings.Contains(r.Message, tt.message) {
				t.Errorf("dhis2_ping = %s %q, want %s containing %q", outcome(r), r.Message, tt.want, tt.message)
			}
		})
	}
}

func TestSubsetPullsInRequirements(t *testing.T) {
	_, srv, _ := simTarget(t, false)
	target := loadTarget(t, fmt.Sprintf("url: %s\nauth: {token_env: SIM_TOKEN}\nchecks: [dhis2_chap_system_info]", srv.URL))
	r := probe(t, target, 5*time.Second)
	var got []string
	for _, c := range r.Checks {
		got = append(got, c.Check)
	}
	want := []string{"dhis2_ping", "dhis2_chap_route", "dhis2_chap_ping", "dhis2_chap_system_info"}
	if !slices.Equal(got, want) {
		t.Errorf("checks run = %v, want %v", got, want)
	}
}

// TestChainRunsAsDependencyGraph asserts the concurrency structure from the
// simulator's request log: independent requests overlap, and no request
// starts before the requests of its requirements have ended.
func TestChainRunsAsDependencyGraph(t *testing.T) {
	sim, _, target := simTarget(t, false)
	sim.Update(func(st *dhis2sim.State) { st.Latency = 50 * time.Millisecond })
	probe(t, target, 10*time.Second)

	byEndpoint := map[dhis2sim.Endpoint][]dhis2sim.Request{}
	for _, r := range sim.Requests() {
		byEndpoint[r.Endpoint] = append(byEndpoint[r.Endpoint], r)
	}
	one := func(e dhis2sim.Endpoint) dhis2sim.Request {
		t.Helper()
		if n := len(byEndpoint[e]); n != 1 {
			t.Fatalf("%d requests to %s, want exactly 1", n, e)
		}
		return byEndpoint[e][0]
	}
	root, me, info, routes := one(dhis2sim.Root), one(dhis2sim.Me), one(dhis2sim.SystemInfo), one(dhis2sim.Routes)
	health, chapInfo, apps := one(dhis2sim.ChapHealth), one(dhis2sim.ChapSystemInfo), one(dhis2sim.Apps)

	after := []struct {
		name        string
		first, then dhis2sim.Request
	}{
		{"system info after me", me, info},
		{"routes after me", me, routes},
		{"chap health after routes", routes, health},
		{"chap system info after chap health", health, chapInfo},
		{"apps after routes", routes, apps},
	}
	for _, a := range after {
		if a.then.Start.Before(a.first.End) {
			t.Errorf("%s: started %s before the requirement ended", a.name, a.first.End.Sub(a.then.Start))
		}
	}
	overlap := []struct {
		name string
		a, b dhis2sim.Request
	}{
		{"front page with /api/me", root, me},
		{"system info with routes", info, routes},
		{"apps with chap health", apps, health},
	}
	for _, o := range overlap {
		if !(o.a.Start.Before(o.b.End) && o.b.Start.Before(o.a.End)) {
			t.Errorf("%s: requests did not overlap (%s–%s vs %s–%s)", o.name,
				o.a.Start.Format("05.000"), o.a.End.Format("05.000"), o.b.Start.Format("05.000"), o.b.End.Format("05.000"))
		}
	}
}

func TestTimeoutFailsTheSlowCheckAndSkipsItsDependents(t *testing.T) {
	sim, _, target := simTarget(t, false)
	sim.Update(func(st *dhis2sim.State) { st.SetFault(dhis2sim.ChapHealth, dhis2sim.Fault{Latency: time.Minute}) })
	r := probe(t, target, 300*time.Millisecond)
	got := outcomes(r)
	want := map[string]string{"dhis2_chap_ping": "fail/timeout", "dhis2_chap_system_info": "skipped/requirement", "dhis2_ping": "ok"}
	for check, w := range want {
		if got[check] != w {
			t.Errorf("%s = %s, want %s", check, got[check], w)
		}
	}
	if m := message(r, "dhis2_chap_ping"); !strings.Contains(m, "300ms budget") {
		t.Errorf("timeout message %q does not name the budget", m)
	}
}

func TestConnectionsAreReusedAcrossProbes(t *testing.T) {
	for _, tls := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%t", tls), func(t *testing.T) {
			sim, srv, target := simTarget(t, tls)
			if tls {
				target = loadTarget(t, fmt.Sprintf("url: %s\nauth: {token_env: SIM_TOKEN}\ntls_config: {ca_file: %s}", srv.URL, writeCA(t, srv)))
			}
			p, err := prober.New(target, prober.NewHostLimiter(prober.DefaultMaxRequestsPerHost), prober.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			// The chain never has more than 4 requests in flight to one
			// server (front page, system info, chap health, apps). A dial
			// racing a connection that frees up can add a spare, so allow
			// twice that: without reuse 15 probes would open 75 or more.
			const maxConnections = 2 * 4
			sim.Update(func(st *dhis2sim.State) { st.Latency = 5 * time.Millisecond })
			for range 15 {
				if r := p.Probe(context.Background(), 5*time.Second); !r.Success() {
					t.Fatalf("probe failed: %v", outcomes(r))
				}
			}
			if n := sim.Connections(); n > maxConnections {
				t.Errorf("15 probes opened %d connections, want at most %d", n, maxConnections)
			}
		})
	}
}

func writeCA(t testing.TB, srv *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(path, block, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTLS(t *testing.T) {
	_, srv, _ := simTarget(t, true)
	cert, err := x509.ParseCertificate(srv.Certificate().Raw)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("unknown CA fails with reason tls", func(t *testing.T) {
		target := loadTarget(t, fmt.Sprintf("url: %s\nauth: {token_env: SIM_TOKEN}", srv.URL))
		got := outcomes(probe(t, target, 5*time.Second))
		if got["dhis2_ping"] != "fail/tls" || got["http_2xx"] != "fail/tls" {
			t.Errorf("dhis2_ping = %s, http_2xx = %s; want fail/tls for both", got["dhis2_ping"], got["http_2xx"])
		}
	})
	t.Run("ca_file makes it pass and exposes the expiry", func(t *testing.T) {
		target := loadTarget(t, fmt.Sprintf("url: %s\nauth: {token_env: SIM_TOKEN}\ntls_config: {ca_file: %s}", srv.URL, writeCA(t, srv)))
		r := probe(t, target, 5*time.Second)
		if !r.Success() {
			t.Fatalf("probe failed: %v", outcomes(r))
		}
		if !r.CertExpiry.Equal(cert.NotAfter) {
			t.Errorf("CertExpiry = %s, want %s", r.CertExpiry, cert.NotAfter)
		}
	})
}

func TestAppsFetchedOncePerProbe(t *testing.T) {
	sim, _, target := simTarget(t, false)
	r := probe(t, target, 5*time.Second)
	n := 0
	for _, req := range sim.Requests() {
		if req.Endpoint == dhis2sim.Apps {
			n++
		}
	}
	if n != 1 {
		t.Errorf("/api/apps requested %d times, want 1", n)
	}
	shared := 0
	for _, check := range []string{"dhis2_chap_modeling_app", "dhis2_chap_climate_app"} {
		for _, req := range result(t, r, check).Requests {
			if req.Shared {
				shared++
			}
		}
	}
	if shared != 1 {
		t.Errorf("%d app checks report a shared answer, want 1", shared)
	}
}

func TestRequestsCarryUserAgentAndNoCredentialsOnFrontPage(t *testing.T) {
	sim, _, target := simTarget(t, false)
	probe(t, target, 5*time.Second)
	for _, req := range sim.Requests() {
		wantAuth := "ApiToken"
		if req.Endpoint == dhis2sim.Root || req.Endpoint == dhis2sim.Login {
			wantAuth = ""
		}
		if req.AuthScheme != wantAuth {
			t.Errorf("%s carried auth %q, want %q", req.Path, req.AuthScheme, wantAuth)
		}
	}
}

// TestForbiddenNamesWhatIsMissing: a 403 tells the operator what to give
// the monitoring user, with the authority's name where DHIS2 documents one.
func TestForbiddenNamesWhatIsMissing(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*dhis2sim.State)
		check string
		want  string
	}{
		{"apps", func(st *dhis2sim.State) { st.SetFault(dhis2sim.Apps, dhis2sim.Fault{Status: 403}) }, "dhis2_chap_modeling_app",
			"/api/apps answered 403: the user lacks the authority M_dhis-web-app-management (App Management) or ALL"},
		{"running the route", func(st *dhis2sim.State) { st.RouteForbidden = true }, "dhis2_chap_ping",
			"/api/routes/chap/run/health answered 403: the user may not run the route; share it with the user (metadata: can view) or give the user one of the route's authorities: Access denied to route chap"},
		{"routes", func(st *dhis2sim.State) { st.SetFault(dhis2sim.Routes, dhis2sim.Fault{Status: 403}) }, "dhis2_chap_route",
			"answered 403: the user may not read routes; share the route with the user (metadata: can view)"},
		{"me", func(st *dhis2sim.State) { st.SetFault(dhis2sim.Me, dhis2sim.Fault{Status: 403}) }, "dhis2_ping",
			"/api/me answered 403: the user lacks the authority or sharing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, _, target := simTarget(t, false)
			sim.Update(tt.setup)
			r := result(t, probe(t, target, 5*time.Second), tt.check)
			if outcome(r) != "fail/forbidden" || !strings.Contains(r.Message, tt.want) {
				t.Errorf("%s = %s %q, want fail/forbidden with %q", tt.check, outcome(r), r.Message, tt.want)
			}
		})
	}
}
