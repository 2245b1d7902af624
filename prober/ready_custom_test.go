package prober_test

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/config"
	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/prober"
)

func TestOptInChecksAreKnownButNotDefault(t *testing.T) {
	if slices.Contains(prober.Defaults(config.KindDHIS2), "dhis2_chap_ready") {
		t.Error("Defaults() includes the opt-in dhis2_chap_ready")
	}
	if prober.KindsOf("dhis2_chap_ready") == nil || !slices.Contains(prober.All(), "dhis2_chap_ready") {
		t.Error("dhis2_chap_ready is not registered")
	}
	p, err := prober.New(loadTarget(t, "url: http://127.0.0.1:1\nchecks: [dhis2_chap_ready]"), prober.NewHostLimiter(prober.DefaultMaxRequestsPerHost), prober.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	want := []string{"dhis2_ping", "dhis2_chap_route", "dhis2_chap_ping", "dhis2_chap_ready"}
	if got := p.Checks(); !slices.Equal(got, want) {
		t.Errorf("selecting dhis2_chap_ready runs %v, want %v", got, want)
	}
}

func TestChapReady(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(*dhis2sim.State)
		want       string
		subsystems map[string]string
		message    string
		success    bool
	}{
		{"ready", func(*dhis2sim.State) {}, "ok",
			map[string]string{"db": "ok", "redis": "ok", "celery": "ok"}, "chap-core ready: celery, db, redis ok", true},
		{"celery down", func(st *dhis2sim.State) { st.ChapCoreUnready = "celery" }, "fail/not_ready",
			map[string]string{"db": "ok", "redis": "ok", "celery": "error: no workers responded"}, "chap-core not ready: celery (error: no workers responded)", false},
		{"older chap-core", func(st *dhis2sim.State) { st.ChapCoreLayout = dhis2sim.LayoutV12 }, "skipped/unsupported",
			nil, "chap-core has no /health/ready: it is older than 2.0", true},
		{"503 from DHIS2, not chap-core", func(st *dhis2sim.State) { st.SetFault(dhis2sim.ChapReady, dhis2sim.Fault{Status: 503}) }, "fail/route_not_allowed",
			nil, "DHIS2 route returned 503", false},
		{"chap-core down", func(st *dhis2sim.State) { st.ChapCoreDown = true }, "skipped/requirement",
			nil, "requires dhis2_chap_ping, which is fail", false},
		{"malformed", func(st *dhis2sim.State) { st.SetFault(dhis2sim.ChapReady, dhis2sim.Fault{MalformedJSON: true}) }, "fail/bad_response",
			nil, "answer is not valid JSON", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, srv, _ := simTarget(t, false)
			sim.Update(tt.setup)
			target := loadTarget(t, "url: "+srv.URL+"\nauth: {token_env: SIM_TOKEN}\nchecks: [dhis2_chap_ready]")
			report := probe(t, target, 5*time.Second)
			r := result(t, report, "dhis2_chap_ready")
			if got := outcome(r); got != tt.want {
				t.Errorf("dhis2_chap_ready = %s, want %s (%s)", got, tt.want, r.Message)
			}
			if !maps.Equal(r.Subsystems, tt.subsystems) {
				t.Errorf("subsystems = %v, want %v", r.Subsystems, tt.subsystems)
			}
			if !strings.HasPrefix(r.Message, tt.message) {
				t.Errorf("message = %q, want prefix %q", r.Message, tt.message)
			}
			if report.Success() != tt.success {
				t.Errorf("Success() = %t, want %t", report.Success(), tt.success)
			}
		})
	}
}

func TestCustomChecks(t *testing.T) {
	tests := []struct {
		name    string
		check   string // one custom_checks item, YAML flow style
		setup   func(*dhis2sim.State)
		want    string
		version string
		message string
	}{
		{"route path with value and version",
			`{name: chap_info, path: /system/info, route: true, requires: [dhis2_chap_ping], json_path: python_version, json_equals: "3.13.5", version_path: chap_core_version}`,
			nil, "ok", "2.1.0", `/api/routes/chap/run/system/info answered 200 with python_version = "3.13.5"`},
		{"DHIS2 path, number compared as text",
			`{name: me_authorities, path: /api/me, json_path: authorities.0, json_equals: ALL}`,
			nil, "ok", "", `/api/me answered 200 with authorities.0 = "ALL"`},
		{"value differs",
			`{name: chap_info, path: /system/info, route: true, json_path: python_version, json_equals: "3.12"}`,
			nil, "fail/mismatch", "", `/api/routes/chap/run/system/info: python_version is "3.13.5", want "3.12"`},
		{"field missing",
			`{name: chap_info, path: /system/info, route: true, json_path: gpu.count, json_equals: "1"}`,
			nil, "fail/mismatch", "", `/api/routes/chap/run/system/info: the answer has no gpu.count`},
		{"version missing is a warning",
			`{name: sysinfo, path: /api/system/info, version_path: build.number}`,
			nil, "warn/no_version", "", `/api/system/info reported no version`},
		{"unexpected status maps like built-ins",
			`{name: nope, path: /api/nope}`,
			nil, "fail/not_found", "", `/api/nope answered 404`},
		{"expected non-2xx status",
			`{name: gone, path: /api/nope, status_codes: [404]}`,
			nil, "ok", "", `/api/nope answered 404`},
		{"2xx but not the expected one",
			`{name: me_created, path: /api/me, status_codes: [201]}`,
			nil, "fail/http_status", "", `/api/me answered 200, want 201`},
		{"requirement failed",
			`{name: chap_info, path: /system/info, route: true, requires: [dhis2_chap_ping]}`,
			func(st *dhis2sim.State) { st.ChapCoreDown = true }, "skipped/requirement", "", "requires dhis2_chap_ping, which is fail"},
		{"chap-core down through the route",
			`{name: chap_info, path: /system/info, route: true}`,
			func(st *dhis2sim.State) { st.ChapCoreDown = true }, "fail/upstream_down", "", "DHIS2 route returned 502: chap-core did not respond"},
		{"a route path written out in full still reads as the route's",
			`{name: chap_info, path: /api/routes/chap/run/system/info}`,
			func(st *dhis2sim.State) { st.ChapCoreDown = true }, "fail/upstream_down", "", "DHIS2 route returned 502: chap-core did not respond"},
		{"login page",
			`{name: me2, path: /api/me, json_path: username, json_equals: admin}`,
			func(st *dhis2sim.State) { st.SetFault(dhis2sim.Me, dhis2sim.Fault{LoginPage: true}) }, "fail/auth", "", "/api/me answered an HTML page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, srv, _ := simTarget(t, false)
			if tt.setup != nil {
				sim.Update(tt.setup)
			}
			target := loadTarget(t, "url: "+srv.URL+"\nauth: {token_env: SIM_TOKEN}\ncustom_checks:\n  - "+tt.check)
			report := probe(t, target, 5*time.Second)
			name := target.CustomChecks[0].Name
			r := result(t, report, name)
			if got := outcome(r); got != tt.want {
				t.Errorf("%s = %s, want %s (%s)", name, got, tt.want, r.Message)
			}
			if r.Version != tt.version {
				t.Errorf("version = %q, want %q", r.Version, tt.version)
			}
			if !strings.HasPrefix(r.Message, tt.message) {
				t.Errorf("message = %q, want prefix %q", r.Message, tt.message)
			}
		})
	}
}

func TestCustomChecksRunAfterTheirRequirements(t *testing.T) {
	_, srv, _ := simTarget(t, false)
	target := loadTarget(t, "url: "+srv.URL+`
auth: {token_env: SIM_TOKEN}
checks: [dhis2_ping]
custom_checks:
  - {name: b_second, path: /api/me, requires: [a_first]}
  - {name: a_first, path: /system/info, route: true, requires: [dhis2_chap_ping]}`)
	p, err := prober.New(target, prober.NewHostLimiter(prober.DefaultMaxRequestsPerHost), prober.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	want := []string{"dhis2_ping", "dhis2_chap_route", "dhis2_chap_ping", "a_first", "b_second"}
	if got := p.Checks(); !slices.Equal(got, want) {
		t.Errorf("Checks() = %v, want %v (the subset, what the custom checks require, then them)", got, want)
	}
	report := p.Probe(t.Context(), 5*time.Second)
	if !report.Success() {
		t.Errorf("probe failed: %v", outcomes(report))
	}
}
