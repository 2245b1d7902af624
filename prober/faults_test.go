package prober_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/config"
	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/internal/testkit"
	"github.com/dhis2-chap/chap_exporter/prober"
)

// The fault matrix: every way a DHIS2 server, its network or the chap-core
// behind it can misbehave, each against a real listener on 127.0.0.1, with
// the status and reason of every check, probe success, and the promise that
// the probe comes back within its budget.

const (
	// budget is the probe timeout for faults that answer.
	budget = 3 * time.Second
	// hangBudget is the probe timeout for faults that never answer, kept
	// short because those probes use all of it.
	hangBudget = 400 * time.Millisecond
	// margin is what a probe may overrun its budget by: scheduling on a
	// loaded machine, not work. Generous so the assertion cannot flake.
	margin = 1500 * time.Millisecond
	// allocBound is how much a probe of an endless body may allocate:
	// the 2 MiB read cap plus buffers, far below what reading for the
	// whole budget at loopback speed would take.
	allocBound = 32 << 20
)

// faultCase is one row of the matrix.
type faultCase struct {
	name string
	// setup starts the misbehaving server and returns the target's YAML
	// body (url, auth, tls_config). Extra assertions about what the
	// server saw are registered with t.Cleanup.
	setup func(t *testing.T) string
	// hangs marks faults that never answer: the probe uses hangBudget.
	hangs bool
	// want lists the checks that are not simply ok, as status/reason.
	want    map[string]string
	success bool
	// message is a substring the message of a check must contain.
	message map[string]string
	// boundedAlloc asserts the probe allocated less than allocBound.
	boundedAlloc bool
	// checks the target runs; nil means a DHIS2 target's builtinChecks.
	checks []string
}

// Expectations shared by many rows.
var (
	// both the front page and the API fail the same way; the rest is skipped.
	unreachable = func(reason string) map[string]string {
		return merge(map[string]string{"http_2xx": "fail/" + reason, "dhis2_ping": "fail/" + reason}, skippedAfter(allButPing...))
	}
	// the API refuses us; the front page is fine.
	pingFails = func(reason string) map[string]string {
		return merge(map[string]string{"dhis2_ping": "fail/" + reason}, skippedAfter(allButPing...))
	}
	routeFails = func(reason string) map[string]string {
		return merge(map[string]string{"dhis2_chap_route": "fail/" + reason}, skippedAfter(afterRoute...))
	}
	chapPingFails = func(reason string) map[string]string {
		return merge(map[string]string{"dhis2_chap_ping": "fail/" + reason}, skippedAfter(afterChapPing...))
	}
	bothAppsFail = func(reason string) map[string]string {
		return map[string]string{"dhis2_chap_modeling_app": "fail/" + reason, "dhis2_chap_climate_app": "fail/" + reason}
	}
)

// Setups.

// tokenAuth is the auth every target uses; the simulator accepts it.
func tokenAuth(t *testing.T, url string) string {
	t.Setenv("SIM_TOKEN", dhis2sim.DefaultToken)
	return fmt.Sprintf("url: %s\nauth: {token_env: SIM_TOKEN}", url)
}

// simWith serves a simulator changed by change.
func simWith(change func(*dhis2sim.State)) func(t *testing.T) string {
	return func(t *testing.T) string {
		sim := dhis2sim.New(dhis2sim.Options{})
		sim.Update(change)
		return tokenAuth(t, serve(t, sim).URL)
	}
}

func scenario(name string) func(t *testing.T) string {
	return simWith(func(st *dhis2sim.State) {
		if err := dhis2sim.ApplyScenario(st, name); err != nil {
			panic(err)
		}
	})
}

func fault(ep dhis2sim.Endpoint, f dhis2sim.Fault) func(t *testing.T) string {
	return simWith(func(st *dhis2sim.State) { st.SetFault(ep, f) })
}

// body answers 200 application/json with b on ep.
func body(ep dhis2sim.Endpoint, b string) func(t *testing.T) string {
	return fault(ep, dhis2sim.Fault{Body: b})
}

func handler(h http.Handler) func(t *testing.T) string {
	return func(t *testing.T) string { return tokenAuth(t, serve(t, h).URL) }
}

func raw(handle func(c net.Conn)) func(t *testing.T) string {
	return func(t *testing.T) string { return tokenAuth(t, rawListener(t, handle)) }
}

// wrapSim serves a healthy simulator behind wrap.
func wrapSim(wrap func(sim http.Handler) http.Handler) func(t *testing.T) string {
	return func(t *testing.T) string {
		return tokenAuth(t, serve(t, wrap(dhis2sim.New(dhis2sim.Options{}))).URL)
	}
}

// tlsSim serves a healthy simulator over TLS with a certificate from
// cert; trust adds tls_config.ca_file with the CA file it returns.
func tlsSim(cert func(t *testing.T) (tls.Certificate, string), trust bool) func(t *testing.T) string {
	return func(t *testing.T) string {
		c, caFile := cert(t)
		yml := tokenAuth(t, serveTLS(t, dhis2sim.New(dhis2sim.Options{}), c).URL)
		if trust {
			yml += fmt.Sprintf("\ntls_config: {ca_file: %s}", caFile)
		}
		return yml
	}
}

func selfSigned(t *testing.T) (tls.Certificate, string) {
	var ca *testkit.CA // nil: self-signed
	leaf := ca.Issue(t, []string{"127.0.0.1"}, testkit.Valid())
	return leaf.Certificate, leaf.CertFile
}

func expired(t *testing.T) (tls.Certificate, string) {
	ca := testkit.NewCA(t)
	return ca.Issue(t, []string{"127.0.0.1"}, testkit.Expired()).Certificate, ca.File
}

func otherHost(t *testing.T) (tls.Certificate, string) {
	ca := testkit.NewCA(t)
	return ca.Issue(t, []string{"dhis2.other.example"}, testkit.Valid()).Certificate, ca.File
}

// unresolvable names a host under .invalid (RFC 6761), resolved by a local
// DNS server that answers NXDOMAIN.
func unresolvable(t *testing.T) string {
	nxdomainResolver(t)
	return tokenAuth(t, "http://dhis2.example.invalid")
}

// redirectLoop sends the front page round in circles; the API still works.
func redirectLoop(sim http.Handler) http.Handler {
	var mu sync.Mutex
	hops := 0
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" || strings.HasPrefix(r.URL.Path, "/loop/") {
			mu.Lock()
			hops++
			n := hops
			mu.Unlock()
			http.Redirect(w, r, fmt.Sprintf("/loop/%d", n), http.StatusFound)
			return
		}
		sim.ServeHTTP(w, r)
	})
}

// redirectToOtherHost sends the front page and /api/me to another host
// (localhost instead of 127.0.0.1) and asserts that host saw the front page
// redirect only, without credentials: API calls never follow redirects.
func redirectToOtherHost(t *testing.T) string {
	var mu sync.Mutex
	var seen []string
	other := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%s auth=%q cookie=%q", r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Cookie")))
		mu.Unlock()
		fmt.Fprintln(w, "welcome")
	}))
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	sim := dhis2sim.New(dhis2sim.Options{})
	front := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/", "/api/me":
			http.Redirect(w, r, otherURL+r.URL.Path, http.StatusFound)
		default:
			sim.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		want := `/ auth="" cookie=""`
		if len(seen) != 1 || seen[0] != want {
			t.Errorf("the other host saw %q, want exactly [%s]", seen, want)
		}
	})
	return tokenAuth(t, front.URL)
}

func faultMatrix() []faultCase {
	cases := []faultCase{
		// Network and TLS.
		{name: "connection refused", setup: func(t *testing.T) string { return tokenAuth(t, refusedURL(t)) },
			want: unreachable("connection"), message: map[string]string{"dhis2_ping": "connection refused"}},
		{name: "blackhole: accepts, never answers", setup: raw(blackhole), hangs: true,
			want: unreachable("timeout"), message: map[string]string{"dhis2_ping": "400ms budget"}},
		{name: "headers, then the body stalls past the budget", setup: handler(stallBody), hangs: true,
			want: unreachable("timeout")},
		{name: "connection reset mid-body", setup: raw(resetMidBody),
			want: unreachable("connection")},
		{name: "connection closed mid-body", setup: raw(truncatedBody),
			want: unreachable("connection"), message: map[string]string{"dhis2_ping": "closed the connection"}},
		{name: "name does not resolve (.invalid)", setup: unresolvable,
			want: unreachable("connection"), message: map[string]string{"dhis2_ping": "cannot resolve host dhis2.example.invalid"}},
		{name: "self-signed certificate", setup: tlsSim(selfSigned, false),
			want: unreachable("tls"), message: map[string]string{"dhis2_ping": "set tls_config.ca_file"}},
		{name: "self-signed certificate trusted with ca_file", setup: tlsSim(selfSigned, true), success: true},
		{name: "expired certificate", setup: tlsSim(expired, true),
			want: unreachable("tls"), message: map[string]string{"dhis2_ping": "expired"}},
		{name: "certificate for another host", setup: tlsSim(otherHost, true),
			want: unreachable("tls"), message: map[string]string{"dhis2_ping": "not valid for this host"}},

		// DHIS2 answers.
		{name: "302 to the login page", setup: fault(dhis2sim.Me, dhis2sim.Fault{LoginRedirect: true}),
			want: pingFails("auth"), message: map[string]string{"dhis2_ping": "redirected to /dhis-web-login/"}},
		{name: "200 HTML login page on /api/me", setup: scenario("login-page"),
			want: pingFails("auth"), message: map[string]string{"dhis2_ping": "HTML page instead of JSON"}},
		{name: "401 JSON", setup: scenario("bad-credentials"),
			want: pingFails("auth"), message: map[string]string{"dhis2_ping": "401: the token or password was not accepted: Unauthorized"}},
		{name: "403", setup: fault(dhis2sim.Me, dhis2sim.Fault{Status: 403}), want: pingFails("forbidden")},
		{name: "404 on system info: not a DHIS2", setup: fault(dhis2sim.SystemInfo, dhis2sim.Fault{Status: 404}),
			want: map[string]string{"dhis2_system_info": "fail/not_found"}},
		{name: "500 with an HTML error page", setup: fault(dhis2sim.Me, dhis2sim.Fault{Status: 500, ContentType: "text/html",
			Body: "<html><body><h1>HTTP Status 500 – Internal Server Error</h1></body></html>"}),
			want: pingFails("http_status"), message: map[string]string{"dhis2_ping": "answered 500"}},
		{name: "endless body over the read cap", setup: handler(endlessBody), boundedAlloc: true,
			want:    merge(map[string]string{"dhis2_ping": "fail/bad_response"}, skippedAfter(allButPing...)),
			message: map[string]string{"dhis2_ping": "larger than 2097152 bytes"}},
		{name: "gzip bomb over the read cap", setup: handler(gzipBomb), boundedAlloc: true,
			want:    merge(map[string]string{"dhis2_ping": "fail/bad_response"}, skippedAfter(allButPing...)),
			message: map[string]string{"dhis2_ping": "larger than 2097152 bytes"}},
		{name: "invalid JSON", setup: scenario("malformed-json"),
			want: map[string]string{"dhis2_system_info": "fail/bad_response"}, message: map[string]string{"dhis2_system_info": "not valid JSON"}},
		{name: "gzip-encoded answers", setup: wrapSim(gzipped), success: true},
		{name: "redirect loop on the front page", setup: wrapSim(redirectLoop),
			want: map[string]string{"http_2xx": "fail/http_status"}, message: map[string]string{"http_2xx": "more than 5 redirects"}},
		{name: "redirect to another host: followed for the front page without credentials, never for the API",
			setup: redirectToOtherHost, want: pingFails("auth")},

		// Route and chap-core.
		{name: "route API 404 (DHIS2 before 2.40)", setup: scenario("no-route-api"), want: routeFails("not_found")},
		{name: "route missing", setup: scenario("route-missing"), want: routeFails("missing")},
		{name: "route disabled: listed, 404 when run", setup: scenario("route-disabled"),
			want: merge(map[string]string{"dhis2_chap_route": "warn/disabled"}, chapPingFails("not_found"))},
		{name: "route 403", setup: scenario("route-forbidden"), want: chapPingFails("forbidden")},
		{name: "route 503: remote server not allowed", setup: scenario("remote-server-not-allowed"), want: chapPingFails("route_not_allowed")},
		{name: "route 504: chap-core timed out", setup: scenario("chap-core-slow"), want: chapPingFails("upstream_timeout")},
		{name: "route 502: chap-core down", setup: scenario("chap-core-down"), want: chapPingFails("upstream_down")},
		{name: "401 from chap-core through the route", setup: fault(dhis2sim.ChapHealth, dhis2sim.Fault{Status: 401}),
			want: chapPingFails("auth"), message: map[string]string{"dhis2_chap_ping": "chap-core answered 401 through the route"}},
		{name: "401 from chap-core on its version", setup: fault(dhis2sim.ChapSystemInfo, dhis2sim.Fault{Status: 401}),
			want: map[string]string{"dhis2_chap_system_info": "fail/auth"}},
		{name: "chap-core 1.2 layout", setup: scenario("chap-core-v1.2"), success: true},
		{name: "chap-core 1.1 layout", setup: scenario("chap-core-v1.1"), success: true},
	}
	cases = append(cases, shapeCases()...)
	return append(cases, serviceFaultCases()...)
}

// serviceSim serves an OCS or chapkit simulator changed by change and
// returns the target's YAML body; extra adds keys to it.
func serviceSim(service dhis2sim.Service, opts dhis2sim.Options, change func(*dhis2sim.State), extra string) func(t *testing.T) string {
	return func(t *testing.T) string {
		opts.Service = service
		sim := dhis2sim.New(opts)
		sim.Update(change)
		return fmt.Sprintf("kind: %s\nurl: %s%s", service, serve(t, sim).URL, extra)
	}
}

// serviceFaultCases are the rows of the Open Climate Service and chapkit
// targets: every branch of their checks against the simulator.
func serviceFaultCases() []faultCase {
	ocs := func(change func(*dhis2sim.State)) func(t *testing.T) string {
		return serviceSim(dhis2sim.ServiceOCS, dhis2sim.Options{}, change, "")
	}
	chapkit := func(change func(*dhis2sim.State)) func(t *testing.T) string {
		return serviceSim(dhis2sim.ServiceChapkit, dhis2sim.Options{}, change, "")
	}
	sc := func(name string) func(*dhis2sim.State) {
		return func(st *dhis2sim.State) {
			if err := dhis2sim.ApplyScenario(st, name); err != nil {
				panic(err)
			}
		}
	}
	on := func(ep dhis2sim.Endpoint, f dhis2sim.Fault) func(*dhis2sim.State) {
		return func(st *dhis2sim.State) { st.SetFault(ep, f) }
	}
	healthFails := func(reason string) map[string]string {
		return map[string]string{"ocs_health": "fail/" + reason, "ocs_info": "skipped/requirement"}
	}
	slow := dhis2sim.Fault{Latency: 2 * time.Second}
	cases := []faultCase{
		{name: "ocs: healthy", setup: ocs(sc("healthy")), success: true,
			message: map[string]string{"ocs_info": "Open Climate Service 0.1.0 (openEO 1.2.0, read-only, backend nepal-climate-service-demo)"}},
		{name: "ocs: degraded", setup: ocs(sc("degraded")), success: true, want: map[string]string{"ocs_health": "warn/not_ready"}},
		{name: "ocs: unhealthy with 200", setup: ocs(sc("unhealthy")), want: healthFails("not_ready"),
			message: map[string]string{"ocs_health": "service reports status unhealthy"}},
		{name: "ocs: unhealthy with 503", setup: ocs(sc("unhealthy-503")), want: healthFails("not_ready")},
		{name: "ocs: 404 on /health", setup: ocs(sc("health-missing")), want: healthFails("not_found"),
			message: map[string]string{"ocs_health": "does not look like an Open Climate Service"}},
		{name: "ocs: /health not JSON", setup: ocs(sc("health-not-json")), want: healthFails("bad_response")},
		{name: "ocs: /health malformed JSON", setup: ocs(on(dhis2sim.Health, dhis2sim.Fault{MalformedJSON: true})), want: healthFails("bad_response")},
		{name: "ocs: /health 500", setup: ocs(on(dhis2sim.Health, dhis2sim.Fault{Status: 500})), want: healthFails("http_status")},
		{name: "ocs: /info missing", setup: ocs(sc("info-missing")), want: map[string]string{"ocs_info": "fail/not_found"},
			message: map[string]string{"ocs_info": "/info answered 404"}},
		{name: "ocs: capabilities not JSON", setup: ocs(sc("capabilities-not-json")), want: map[string]string{"ocs_info": "fail/bad_response"},
			message: map[string]string{"ocs_info": "/ did not return a JSON object"}},
		{name: "ocs: capabilities of the wrong shape", setup: ocs(on(dhis2sim.Capabilities, dhis2sim.Fault{WrongShape: true})),
			want: map[string]string{"ocs_info": "fail/bad_response"}, message: map[string]string{"ocs_info": "/ did not return a JSON object (got an array)"}},
		{name: "ocs: /info answers {}", setup: ocs(on(dhis2sim.Info, dhis2sim.Fault{Body: `{}`})), success: true,
			message: map[string]string{"ocs_info": "Open Climate Service 0.1.0 (openEO 1.2.0, backend nepal-climate-service-demo)"}},
		{name: "ocs: slow /health", setup: ocs(on(dhis2sim.Health, slow)), hangs: true, want: healthFails("timeout")},
		{name: "ocs: slow /info", setup: ocs(on(dhis2sim.Info, slow)), hangs: true, want: map[string]string{"ocs_info": "fail/timeout"}},
		{name: "ocs: connection refused", setup: func(t *testing.T) string { return "kind: ocs\nurl: " + refusedURL(t) },
			want: merge(healthFails("connection"), map[string]string{"http_2xx": "fail/connection"})},
		{name: "chapkit: healthy", setup: chapkit(sc("healthy")), success: true},
		{name: "chapkit: degraded", setup: chapkit(sc("degraded")), success: true, want: map[string]string{"chapkit_health": "warn/not_ready"},
			message: map[string]string{"chapkit_health": "service reports status degraded: redis degraded (Redis unavailable: "}},
		{name: "chapkit: unhealthy with 200", setup: chapkit(sc("unhealthy")), want: map[string]string{"chapkit_health": "fail/not_ready"},
			message: map[string]string{"chapkit_health": "service reports status unhealthy: database unhealthy (Check failed: "}},
		{name: "chapkit: unhealthy with 503", setup: chapkit(sc("unhealthy-503")), want: map[string]string{"chapkit_health": "fail/not_ready"}},
		{name: "chapkit: 404 on /health", setup: chapkit(sc("health-missing")), want: map[string]string{"chapkit_health": "fail/not_found"},
			message: map[string]string{"chapkit_health": "set health_path"}},
		{name: "chapkit: /health not JSON", setup: chapkit(sc("health-not-json")), want: map[string]string{"chapkit_health": "fail/bad_response"}},
		{name: "chapkit: slow /health", setup: chapkit(on(dhis2sim.Health, slow)), hangs: true, want: map[string]string{"chapkit_health": "fail/timeout"}},
		{name: "chapkit: older layout under /api/v1/health with health_path", success: true,
			setup: serviceSim(dhis2sim.ServiceChapkit, dhis2sim.Options{HealthPath: "/api/v1/health"}, sc("healthy"), "\nhealth_path: /api/v1/health")},
		{name: "chapkit: older layout without health_path", want: map[string]string{"chapkit_health": "fail/not_found"},
			setup: serviceSim(dhis2sim.ServiceChapkit, dhis2sim.Options{HealthPath: "/api/v1/health"}, sc("healthy"), "")},
		{name: "chapkit: connection refused", setup: func(t *testing.T) string { return "kind: chapkit\nurl: " + refusedURL(t) },
			want: map[string]string{"chapkit_health": "fail/connection"}},
	}
	for i := range cases {
		cases[i].checks = ocsChecks
		if strings.HasPrefix(cases[i].name, "chapkit") {
			cases[i].checks = chapkitChecks
		}
	}
	return cases
}

// shapeCases are valid JSON of the wrong shape, at every level of every
// answer a check parses.
func shapeCases() []faultCase {
	type shape struct {
		ep     dhis2sim.Endpoint
		body   string
		want   map[string]string
		passes bool
	}
	me := pingFails("bad_response")
	info := map[string]string{"dhis2_system_info": "fail/bad_response"}
	routes := routeFails("bad_response")
	apps := bothAppsFail("bad_response")
	chapInfo := map[string]string{"dhis2_chap_system_info": "fail/bad_response"}
	shapes := []shape{
		{dhis2sim.Me, `[]`, me, false},
		{dhis2sim.Me, `null`, me, false},
		{dhis2sim.Me, `"admin"`, me, false},
		{dhis2sim.Me, `{}`, me, false},
		{dhis2sim.Me, `{"username":42}`, me, false},
		{dhis2sim.Me, `{"username":["admin"]}`, me, false},
		{dhis2sim.SystemInfo, `[]`, info, false},
		{dhis2sim.SystemInfo, `null`, info, false},
		{dhis2sim.SystemInfo, `{"version":2.42}`, info, false},
		{dhis2sim.SystemInfo, `{}`, map[string]string{"dhis2_system_info": "warn/no_version"}, true},
		{dhis2sim.Routes, `[]`, routes, false},
		{dhis2sim.Routes, `null`, routes, false},
		{dhis2sim.Routes, `{}`, routes, false},
		{dhis2sim.Routes, `{"routes":null}`, routes, false},
		{dhis2sim.Routes, `{"routes":{}}`, routes, false},
		{dhis2sim.Routes, `{"routes":["chap"]}`, routes, false},
		{dhis2sim.Routes, `{"routes":[{"code":7}]}`, routes, false},
		{dhis2sim.Routes, `{"routes":[{"code":"chap","disabled":"no"}]}`, routes, false},
		{dhis2sim.Apps, `{}`, apps, false},
		{dhis2sim.Apps, `null`, apps, false},
		{dhis2sim.Apps, `{"apps":{}}`, apps, false},
		{dhis2sim.Apps, `[1,"x",null,[]]`, apps, false},
		{dhis2sim.Apps, `[{"app_hub_id":5}]`, apps, false},
		{dhis2sim.ChapSystemInfo, `[]`, chapInfo, false},
		{dhis2sim.ChapSystemInfo, `null`, chapInfo, false},
		{dhis2sim.ChapSystemInfo, `{"chap_core_version":2}`, chapInfo, false},
		// Any 2xx from chap-core's /health is alive: its body differs by version.
		{dhis2sim.ChapHealth, `[]`, nil, true},
	}
	var cases []faultCase
	for _, s := range shapes {
		cases = append(cases, faultCase{name: fmt.Sprintf("%s answers %s", s.ep, s.body), setup: body(s.ep, s.body), want: s.want, success: s.passes})
	}
	return cases
}

func TestFaultMatrix(t *testing.T) {
	for _, tc := range faultMatrix() {
		t.Run(tc.name, func(t *testing.T) {
			target := loadTarget(t, tc.setup(t))
			timeout := budget
			if tc.hangs {
				timeout = hangBudget
			}
			report, elapsed, alloc := measuredProbe(t, target, timeout)

			checks := tc.checks
			if checks == nil {
				checks = builtinChecks
			}
			checkOutcomesOf(t, report, checks, tc.want, tc.success)
			for check, sub := range tc.message {
				if m := message(report, check); !strings.Contains(m, sub) {
					t.Errorf("%s message %q lacks %q", check, m, sub)
				}
			}
			if elapsed > timeout+margin {
				t.Errorf("probe took %s, budget %s plus margin %s", elapsed, timeout, margin)
			}
			if tc.boundedAlloc && alloc > allocBound {
				t.Errorf("probe allocated %d MiB, want under %d MiB", alloc>>20, allocBound>>20)
			}
		})
	}
}

// measuredProbe probes target once and says how long that took and how
// many bytes it allocated.
func measuredProbe(t *testing.T, target *config.Target, timeout time.Duration) (*prober.Report, time.Duration, uint64) {
	t.Helper()
	p, err := prober.New(target, prober.NewHostLimiter(prober.DefaultMaxRequestsPerHost), prober.Options{UserAgent: "chap_exporter/test"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	report := p.Probe(context.Background(), timeout)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	return report, elapsed, after.TotalAlloc - before.TotalAlloc
}

// TestServerClosingKeepAliveConnectionsBetweenProbes: a server (or a proxy
// in front of it) that closes idle HTTP/1.1 connections leaves dead
// connections in the prober's pool; the next probe must not fail on them.
func TestServerClosingKeepAliveConnectionsBetweenProbes(t *testing.T) {
	tests := []struct {
		name  string
		close func(c net.Conn, st http.ConnState) // nil: close them between probes
	}{
		// The harshest case: the connection dies as soon as it is idle,
		// racing the client putting it back in its pool.
		{"closed the moment it is idle", func(c net.Conn, st http.ConnState) {
			if st == http.StateIdle {
				c.Close()
			}
		}},
		// The common case: a short keep-alive timeout, here "between probes".
		{"closed between probes", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := dhis2sim.New(dhis2sim.Options{})
			srv := httptest.NewUnstartedServer(sim)
			srv.Config.ConnState = tt.close
			srv.Start()
			t.Cleanup(srv.Close)
			p, err := prober.New(loadTarget(t, tokenAuth(t, srv.URL)), prober.NewHostLimiter(prober.DefaultMaxRequestsPerHost), prober.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			for i := range 20 {
				if r := p.Probe(context.Background(), budget); !r.Success() {
					t.Fatalf("probe %d failed: %v", i, outcomes(r))
				}
				if tt.close == nil {
					srv.CloseClientConnections() // the server drops every kept-alive connection
				}
			}
		})
	}
}
