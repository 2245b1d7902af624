package prober_test

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/config"
	"github.com/dhis2-chap/chap_exporter/prober"
)

// Facts of ../shared/reference/open-climate-service.md, each pinned against
// a plain httptest server that answers exactly what the case says.

// answer is one canned HTTP answer.
type answer struct {
	status      int
	contentType string // default application/json
	body        string
}

// cannedServer answers each path with its answer, 404 JSON otherwise, and
// fails the test if any request carries credentials.
func cannedServer(t *testing.T, answers map[string]answer) string {
	t.Helper()
	return serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if auth := r.Header.Get("Authorization"); auth != "" {
			t.Errorf("%s carried Authorization %q; these kinds take no credentials", r.URL.Path, auth)
		}
		a, ok := answers[r.URL.Path]
		if !ok {
			a = answer{status: 404, body: `{"detail":"Not Found"}`}
		}
		w.Header().Set("Content-Type", cmpOr(a.contentType, "application/json"))
		w.WriteHeader(cmpOrInt(a.status, 200))
		fmt.Fprint(w, a.body)
	})).URL
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func cmpOrInt(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// The reference's examples.
const (
	ocsInfoBody   = `{"app_version":"0.1.0","python_version":"3.12","uvicorn_version":"0.46.0","read_only":true}`
	ocsCapsBody   = `{"api_version":"1.2.0","backend_version":"0.1.0","id":"nepal-climate-service-demo","stac_version":"1.0.0","title":"Nepal","description":"x","endpoints":[],"links":[]}`
	ocsHealthBody = `{"status":"healthy"}`
	landingPage   = "<!DOCTYPE html><html><body>Open Climate Service</body></html>"
)

// healthyOCS answers every endpoint as the reference's examples.
func healthyOCS() map[string]answer {
	return map[string]answer{
		"/health": {body: ocsHealthBody},
		"/info":   {body: ocsInfoBody},
		"/":       {body: ocsCapsBody},
	}
}

func with(base map[string]answer, path string, a answer) map[string]answer {
	m := maps.Clone(base)
	m[path] = a
	return m
}

func without(base map[string]answer, path string) map[string]answer {
	m := maps.Clone(base)
	delete(m, path)
	return m
}

var ocsChecks = []string{"http_2xx", "ocs_health", "ocs_info"}

func TestOCSChecks(t *testing.T) {
	tests := []struct {
		fact    string
		answers map[string]answer
		want    map[string]string // checks that are not ok
		message map[string]string // exact message
		version string            // of ocs_info
		success bool
	}{
		{"healthy: the reference's /info and / examples", healthyOCS(), nil,
			map[string]string{"ocs_health": "service reports status healthy", "ocs_info": "Open Climate Service 0.1.0 (openEO 1.2.0, read-only, backend nepal-climate-service-demo)"},
			"0.1.0", true},
		{"status is compared case-insensitively", with(healthyOCS(), "/health", answer{body: `{"status":"Healthy"}`}), nil, nil, "0.1.0", true},
		{"degraded is warn", with(healthyOCS(), "/health", answer{body: `{"status":"degraded"}`}),
			map[string]string{"ocs_health": "warn/not_ready"}, map[string]string{"ocs_health": "service reports status degraded"}, "0.1.0", true},
		{"unhealthy is fail, and ocs_info is skipped", with(healthyOCS(), "/health", answer{body: `{"status":"UNHEALTHY"}`}),
			map[string]string{"ocs_health": "fail/not_ready", "ocs_info": "skipped/requirement"},
			map[string]string{"ocs_health": "service reports status UNHEALTHY"}, "", false},
		{"any other value is fail, named", with(healthyOCS(), "/health", answer{body: `{"status":"starting"}`}),
			map[string]string{"ocs_health": "fail/not_ready", "ocs_info": "skipped/requirement"},
			map[string]string{"ocs_health": "service reports status starting"}, "", false},
		{"no status field is fail", with(healthyOCS(), "/health", answer{body: `{"state":"healthy"}`}),
			map[string]string{"ocs_health": "fail/bad_response", "ocs_info": "skipped/requirement"},
			map[string]string{"ocs_health": "/health answer has no status field"}, "", false},
		{"a status that is not a string is no status", with(healthyOCS(), "/health", answer{body: `{"status":true}`}),
			map[string]string{"ocs_health": "fail/bad_response", "ocs_info": "skipped/requirement"}, nil, "", false},
		{"a body that is not a JSON object fails, naming the path", with(healthyOCS(), "/health", answer{body: `["healthy"]`}),
			map[string]string{"ocs_health": "fail/bad_response", "ocs_info": "skipped/requirement"},
			map[string]string{"ocs_health": "/health did not return a JSON object (got an array)"}, "", false},
		{"a login page in front of OCS (200 HTML) fails", with(healthyOCS(), "/health", answer{contentType: "text/html", body: landingPage}),
			map[string]string{"ocs_health": "fail/bad_response", "ocs_info": "skipped/requirement"},
			map[string]string{"ocs_health": "/health answered an HTML page instead of JSON (a login or proxy page in front of the service?)"}, "", false},
		{"a proxy error page fails", with(healthyOCS(), "/health", answer{status: 502, contentType: "text/html", body: "<html>Bad Gateway</html>"}),
			map[string]string{"ocs_health": "fail/http_status", "ocs_info": "skipped/requirement"}, nil, "", false},
		{"a login redirect fails as auth", with(healthyOCS(), "/health", answer{status: 302}),
			map[string]string{"ocs_health": "fail/auth", "ocs_info": "skipped/requirement"}, nil, "", false},
		{"404 on /health: not an Open Climate Service", without(healthyOCS(), "/health"),
			map[string]string{"ocs_health": "fail/not_found", "ocs_info": "skipped/requirement"},
			map[string]string{"ocs_health": "/health answered 404: this server does not look like an Open Climate Service"}, "", false},
		{"503 with a health body: the body decides", with(healthyOCS(), "/health", answer{status: 503, body: `{"status":"unhealthy"}`}),
			map[string]string{"ocs_health": "fail/not_ready", "ocs_info": "skipped/requirement"},
			map[string]string{"ocs_health": "service reports status unhealthy"}, "", false},
		{"version falls back to / backend_version", with(healthyOCS(), "/info", answer{body: `{"read_only":false}`}), nil,
			map[string]string{"ocs_info": "Open Climate Service 0.1.0 (openEO 1.2.0, writable, backend nepal-climate-service-demo)"}, "0.1.0", true},
		{"app_version wins over backend_version", with(healthyOCS(), "/info", answer{body: `{"app_version":"0.2.0"}`}), nil,
			map[string]string{"ocs_info": "Open Climate Service 0.2.0 (openEO 1.2.0, backend nepal-climate-service-demo)"}, "0.2.0", true},
		{"no version anywhere is a warning", with(with(healthyOCS(), "/info", answer{body: `{}`}), "/", answer{body: `{"api_version":"1.2.0"}`}),
			map[string]string{"ocs_info": "warn/no_version"}, map[string]string{"ocs_info": "Open Climate Service reported no version (openEO 1.2.0)"}, "", true},
		{"/info missing fails, naming it", without(healthyOCS(), "/info"),
			map[string]string{"ocs_info": "fail/not_found"}, map[string]string{"ocs_info": "/info answered 404: Not Found"}, "", false},
		{"/ not a JSON object fails, naming it", with(healthyOCS(), "/", answer{body: `"capabilities"`}),
			map[string]string{"ocs_info": "fail/bad_response"}, map[string]string{"ocs_info": "/ did not return a JSON object (got a string)"}, "", false},
		{"capabilities as HTML (the landing page) fail", with(healthyOCS(), "/", answer{contentType: "text/html", body: landingPage}),
			map[string]string{"ocs_info": "fail/bad_response"}, nil, "", false},
		{"another error status on / fails", with(healthyOCS(), "/", answer{status: 500, body: `{"detail":"boom"}`}),
			map[string]string{"ocs_info": "fail/http_status", "http_2xx": "fail/http_status"},
			map[string]string{"ocs_info": "/ answered 500: boom"}, "", false},
		{"both endpoints failing are both named", with(without(healthyOCS(), "/info"), "/", answer{body: `[]`}),
			map[string]string{"ocs_info": "fail/not_found"},
			map[string]string{"ocs_info": "/info answered 404: Not Found; / did not return a JSON object (got an array)"}, "", false},
		{"a field of the wrong type fails", with(healthyOCS(), "/info", answer{body: `{"app_version":1}`}),
			map[string]string{"ocs_info": "fail/bad_response"}, nil, "", false},
		{"hostile strings are made printable", with(with(healthyOCS(), "/info", answer{body: `{"app_version":"0.1.0\u001b[2J"}`}), "/health", answer{body: `{"status":"down\nfake line"}`}),
			map[string]string{"ocs_health": "fail/not_ready", "ocs_info": "skipped/requirement"},
			map[string]string{"ocs_health": `service reports status down\x0afake line`}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.fact, func(t *testing.T) {
			url := cannedServer(t, tt.answers)
			report := probe(t, loadTarget(t, "kind: ocs\nurl: "+url), 3*time.Second)
			checkOutcomesOf(t, report, ocsChecks, tt.want, tt.success)
			for check, want := range tt.message {
				if got := message(report, check); got != want {
					t.Errorf("%s message = %q, want %q", check, got, want)
				}
			}
			if got := result(t, report, "ocs_info").Version; got != tt.version {
				t.Errorf("ocs_info version = %q, want %q", got, tt.version)
			}
			// A liveness signal only: one request, to /health.
			if reqs := result(t, report, "ocs_health").Requests; len(reqs) != 1 || reqs[0].Path != "/health" {
				t.Errorf("ocs_health requested %+v, want only /health", reqs)
			}
		})
	}
}

// TestOCSInfoFetchesBothAtOnce: /info does not answer until / has been
// asked for, so a sequential ocs_info would run out of time.
func TestOCSInfoFetchesBothAtOnce(t *testing.T) {
	capsAsked := make(chan struct{})
	var once sync.Once
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/health":
			fmt.Fprint(w, ocsHealthBody)
		case "/":
			once.Do(func() { close(capsAsked) })
			fmt.Fprint(w, ocsCapsBody)
		case "/info":
			select {
			case <-capsAsked:
			case <-time.After(2 * time.Second):
			}
			fmt.Fprint(w, ocsInfoBody)
		}
	})).URL
	report := probe(t, loadTarget(t, "kind: ocs\nurl: "+url+"\nchecks: [ocs_info]"), time.Second)
	if r := result(t, report, "ocs_info"); r.Status != prober.StatusOK {
		t.Errorf("ocs_info = %s (%s): /info and / were not requested concurrently", outcome(r), r.Message)
	}
	if n := len(result(t, report, "ocs_info").Requests); n != 2 {
		t.Errorf("ocs_info recorded %d requests, want 2 (/info and /)", n)
	}
}

func TestOCSHTTP2xxFollowsRedirectsToTheLandingPage(t *testing.T) {
	answers := with(healthyOCS(), "/", answer{status: 302})
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/" && !strings.Contains(r.Header.Get("Accept"), "application/json"):
			http.Redirect(w, r, "/landing", http.StatusFound)
		case r.URL.Path == "/landing":
			fmt.Fprint(w, landingPage)
		default:
			a := answers[r.URL.Path]
			if r.URL.Path == "/" {
				a = answer{body: ocsCapsBody}
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, a.body)
		}
	})).URL
	report := probe(t, loadTarget(t, "kind: ocs\nurl: "+url), 3*time.Second)
	checkOutcomesOf(t, report, ocsChecks, nil, true)
}

var chapkitChecks = []string{"chapkit_health"}

func TestChapkitHealth(t *testing.T) {
	const (
		healthy  = `{"status":"healthy","checks":{"database":{"state":"healthy"}}}`
		degraded = `{"status":"degraded","checks":{"database":{"state":"healthy"},"redis":{"state":"degraded","message":"Redis unavailable: Connection refused"}}}`
		crashed  = `{"status":"unhealthy","checks":{"database":{"state":"unhealthy","message":"Check failed: disk I/O error"}}}`
	)
	tests := []struct {
		fact       string
		yaml       string // extra target keys
		answers    map[string]answer
		want       string
		message    string
		subsystems map[string]string
	}{
		{"healthy with the default database check", "", map[string]answer{"/health": {body: healthy}}, "ok",
			"service reports status healthy (1 check)", map[string]string{"database": "healthy"}},
		{"degraded is warn, naming the check and its message", "", map[string]answer{"/health": {body: degraded}}, "warn/not_ready",
			"service reports status degraded: redis degraded (Redis unavailable: Connection refused)", map[string]string{"database": "healthy", "redis": "degraded"}},
		{"unhealthy with 200: the body decides", "", map[string]answer{"/health": {body: crashed}}, "fail/not_ready",
			"service reports status unhealthy: database unhealthy (Check failed: disk I/O error)", map[string]string{"database": "unhealthy"}},
		{"unhealthy with 503 (newer servicekit): the body decides", "", map[string]answer{"/health": {status: 503, body: crashed}}, "fail/not_ready",
			"service reports status unhealthy: database unhealthy (Check failed: disk I/O error)", map[string]string{"database": "unhealthy"}},
		{"anything else is fail", "", map[string]answer{"/health": {body: `{"status":"ok"}`}}, "fail/not_ready", "service reports status ok", map[string]string{}},
		{"no checks at all", "", map[string]answer{"/health": {body: `{"status":"healthy"}`}}, "ok", "service reports status healthy", map[string]string{}},
		{"non-JSON fails", "", map[string]answer{"/health": {contentType: "text/plain", body: "OK"}}, "fail/bad_response",
			`/health answered content type "text/plain", want application/json`, nil},
		{"invalid JSON fails", "", map[string]answer{"/health": {body: `{"status":`}}, "fail/bad_response",
			"/health did not return a JSON object (got something that is not JSON)", nil},
		{"checks of the wrong shape fail", "", map[string]answer{"/health": {body: `{"status":"healthy","checks":[1]}`}}, "fail/bad_response", "", nil},
		{"503 without a health body is a status failure", "", map[string]answer{"/health": {status: 503, contentType: "text/html", body: "<html>503</html>"}},
			"fail/http_status", "/health answered 503", nil},
		{"404: not a chapkit service, with the way out", "", map[string]answer{"/api/v1/health": {body: healthy}}, "fail/not_found",
			"/health answered 404: this server does not look like a chapkit service (older chapkit serves health at /api/v1/health: set health_path)", nil},
		{"health_path: older chapkit under /api/v1/health", "health_path: /api/v1/health", map[string]answer{"/api/v1/health": {body: healthy}}, "ok",
			"service reports status healthy (1 check)", map[string]string{"database": "healthy"}},
		{"a bare-string check (chap-core style) is read too", "", map[string]answer{"/health": {body: `{"status":"healthy","checks":{"db":"ok"}}`}}, "ok",
			"service reports status healthy (1 check)", map[string]string{"db": "ok"}},
		{"hostile names and messages are made printable", "", map[string]answer{"/health": {body: `{"status":"degraded","checks":{"re\u001bdis":{"state":"degraded","message":"a\nb"}}}`}},
			"warn/not_ready", `service reports status degraded: re\x1bdis degraded (a\x0ab)`, map[string]string{`re\x1bdis`: "degraded"}},
	}
	for _, tt := range tests {
		t.Run(tt.fact, func(t *testing.T) {
			url := cannedServer(t, tt.answers)
			yml := "kind: chapkit\nurl: " + url
			if tt.yaml != "" {
				yml += "\n" + tt.yaml
			}
			report := probe(t, loadTarget(t, yml), 3*time.Second)
			checkOutcomesOf(t, report, chapkitChecks, map[string]string{"chapkit_health": tt.want}, strings.HasPrefix(tt.want, "ok") || strings.HasPrefix(tt.want, "warn"))
			r := result(t, report, "chapkit_health")
			if tt.message != "" && !strings.HasPrefix(r.Message, tt.message) {
				t.Errorf("message = %q, want %q", r.Message, tt.message)
			}
			if tt.subsystems != nil && !maps.Equal(r.Subsystems, tt.subsystems) {
				t.Errorf("subsystems = %v, want %v", r.Subsystems, tt.subsystems)
			}
		})
	}
}

// TestChapkitSubChecksAreBounded: a hostile answer with thousands of checks
// keeps 64 subsystems, failing ones first, and a bounded message that
// counts the rest.
func TestChapkitSubChecksAreBounded(t *testing.T) {
	tests := []struct {
		name, message string
		contains      string
	}{
		{"short messages: the rest is counted", "down", "check0009 unhealthy (down), and 2990 more"},
		{"long messages: each and the whole are cut", strings.Repeat("x", 500), "more bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := []string{`"zz_ok":{"state":"healthy"}`}
			for i := range 3000 {
				parts = append(parts, fmt.Sprintf(`"check%04d":{"state":"unhealthy","message":%q}`, i, tt.message))
			}
			url := cannedServer(t, map[string]answer{"/health": {body: `{"status":"unhealthy","checks":{` + strings.Join(parts, ",") + `}}`}})
			r := result(t, probe(t, loadTarget(t, "kind: chapkit\nurl: "+url), 3*time.Second), "chapkit_health")
			if len(r.Subsystems) != 64 || r.Subsystems["check0000"] != "unhealthy" || r.Subsystems["zz_ok"] != "" {
				t.Errorf("%d subsystems kept (check0000 %q, zz_ok %q), want 64 failing ones", len(r.Subsystems), r.Subsystems["check0000"], r.Subsystems["zz_ok"])
			}
			if len(r.Message) > prober.MaxMessageBytes || !strings.Contains(r.Message, tt.contains) {
				t.Errorf("message (%d bytes) is not bounded or lacks %q: %.300s…", len(r.Message), tt.contains, r.Message)
			}
		})
	}
}

func TestChecksPerKind(t *testing.T) {
	tests := []struct {
		kind     config.Kind
		defaults []string
		all      []string
	}{
		{config.KindDHIS2, builtinChecks, []string{"dhis2_chap_climate_app", "dhis2_chap_modeling_app", "dhis2_chap_ping", "dhis2_chap_ready",
			"dhis2_chap_route", "dhis2_chap_system_info", "dhis2_ping", "dhis2_system_info", "http_2xx"}},
		{config.KindOCS, ocsChecks, []string{"http_2xx", "ocs_health", "ocs_info"}},
		// A chapkit service has a page at / only with a landing page, so http_2xx is opt-in there.
		{config.KindChapkit, chapkitChecks, []string{"chapkit_health", "http_2xx"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			if got := prober.Defaults(tt.kind); !slices.Equal(got, tt.defaults) {
				t.Errorf("Defaults(%s) = %v, want %v", tt.kind, got, tt.defaults)
			}
			all := slices.DeleteFunc(prober.ForKind(tt.kind), func(c string) bool { return strings.HasPrefix(c, "example_") })
			if !slices.Equal(all, tt.all) {
				t.Errorf("ForKind(%s) = %v, want %v", tt.kind, all, tt.all)
			}
			for _, c := range tt.all {
				if !slices.Contains(prober.KindsOf(c), tt.kind) {
					t.Errorf("KindsOf(%s) = %v lacks %s", c, prober.KindsOf(c), tt.kind)
				}
			}
		})
	}
	if got := prober.KindsOf("http_2xx"); !slices.Equal(got, config.Kinds) {
		t.Errorf("http_2xx applies to %v, want every kind", got)
	}
	if prober.KindsOf("nope") != nil {
		t.Error("KindsOf of an unknown check is not nil")
	}
}

// TestSelectionPullsInRequirementsPerKind: a subset pulls in what it
// requires, within the target's kind.
func TestSelectionPullsInRequirementsPerKind(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"kind: ocs\nurl: http://127.0.0.1:1\nchecks: [ocs_info]", "ocs_health ocs_info"},
		{"kind: chapkit\nurl: http://127.0.0.1:1\nchecks: [http_2xx]", "http_2xx"},
		{"kind: chapkit\nurl: http://127.0.0.1:1\nchecks: [chapkit_health, http_2xx]", "chapkit_health http_2xx"},
		{"url: http://127.0.0.1:1\nchecks: [dhis2_chap_ping]", "dhis2_ping dhis2_chap_route dhis2_chap_ping"},
		{"kind: ocs\nurl: http://127.0.0.1:1\ncustom_checks: [{name: collections, path: /collections, requires: [ocs_health]}]",
			"http_2xx ocs_health collections ocs_info"},
	}
	for _, tt := range tests {
		p, err := prober.New(loadTarget(t, tt.yaml), prober.NewHostLimiter(prober.DefaultMaxRequestsPerHost), prober.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(p.Checks(), " "); got != tt.want {
			t.Errorf("%q plans %q, want %q", tt.yaml, got, tt.want)
		}
		p.Close()
	}
}

// TestACheckOfAnotherKindCannotRun: prober.New refuses a target that
// bypassed config validation with a check of another kind.
func TestACheckOfAnotherKindCannotRun(t *testing.T) {
	target := loadTarget(t, "kind: ocs\nurl: http://127.0.0.1:1")
	target.Checks = []string{"dhis2_ping"}
	_, err := prober.New(target, prober.NewHostLimiter(prober.DefaultMaxRequestsPerHost), prober.Options{})
	if err == nil || err.Error() != `target "sim": check dhis2_ping does not apply to kind ocs` {
		t.Errorf("New = %v, want the kind error", err)
	}
}
