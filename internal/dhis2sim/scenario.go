package dhis2sim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Scenario is a named preset of State, shared by the command-line flags,
// the control API and the documentation so that all three agree.
type Scenario struct {
	Name        string
	Description string
	Apply       func(*State)
}

// Scenarios returns the presets, "healthy" first.
func Scenarios() []Scenario {
	fault := func(f Fault, eps ...Endpoint) func(*State) {
		return func(st *State) {
			for _, ep := range eps {
				st.SetFault(ep, f)
			}
		}
	}
	notFound := Fault{Status: 404, Body: "404 page not found\n", ContentType: "text/plain; charset=utf-8"}
	return []Scenario{
		{"healthy", "everything works: DHIS2 2.42, the chap route, chap-core 2.1, both apps (clears all other switches)", func(st *State) { *st = State{} }},
		{"slow", "every request takes 200ms longer", func(st *State) { st.Latency = 200 * time.Millisecond }},
		{"bad-credentials", "every credential is refused with 401 JSON (expired token, changed password)", func(st *State) { st.RejectCredentials = true }},
		{"legacy-login-redirect", "credentials refused; without Basic auth the answer is a 302 to the old login page", func(st *State) { st.LegacyAuth, st.RejectCredentials = true, true }},
		{"login-page", "/api/me answers an HTML login page with 200, as an SSO proxy does", fault(Fault{LoginPage: true}, Me)},
		{"malformed-json", "/api/system/info answers truncated JSON", fault(Fault{MalformedJSON: true}, SystemInfo)},
		{"wrong-shape", "/api/apps answers an object instead of an array", fault(Fault{WrongShape: true}, Apps)},
		{"no-route-api", "DHIS2 before 2.40: /api/routes is 404", func(st *State) { st.NoRouteAPI = true }},
		{"route-missing", "there is no chap route", func(st *State) { st.RouteMissing = true }},
		{"route-disabled", "the chap route is disabled, so running it is 404", func(st *State) { st.RouteDisabled = true }},
		{"modeling-app-missing", "the Modeling app is not installed", func(st *State) { st.ModelingAppMissing = true }},
		{"climate-app-missing", "the Climate app is not installed", func(st *State) { st.ClimateAppMissing = true }},
		{"apps-without-version", "the CHAP apps are listed without a version", func(st *State) { st.AppsWithoutVersion = true }},
		{"camel-case-app-hub-id", "apps spell the App Hub id appHubId", func(st *State) { st.CamelCaseAppHubID = true }},
		{"chap-core-down", "chap-core does not respond: running the route is 502", func(st *State) { st.ChapCoreDown = true }},
		{"chap-core-slow", "chap-core times out: running the route is 504", func(st *State) { st.ChapCoreSlow = true }},
		{"chap-core-v1.2", "chap-core 1.2: version only at /v1/system-info, no /health/ready", func(st *State) { st.ChapCoreLayout = LayoutV12 }},
		{"chap-core-v1.1", "chap-core 1.1: version at /system-info and /version, no /health/ready", func(st *State) { st.ChapCoreLayout = LayoutV11 }},
		{"chap-core-requires-token", "chap-core answers 401 except on /health, /health/ready and /system/info", func(st *State) { st.ChapCoreRequiresToken = true }},
		{"chap-core-unready", "chap-core is alive but /health/ready is 503: no celery workers", func(st *State) { st.ChapCoreUnready = "celery" }},
		{"remote-server-not-allowed", "the route URL is not in route.remote_servers_allowed: running it is 503", func(st *State) { st.RemoteServerNotAllowed = true }},
		{"route-forbidden", "the user may not run the route: 403", func(st *State) { st.RouteForbidden = true }},
		{"not-dhis2", "some other web server: /api/me and /api/system/info are plain 404", fault(notFound, Me, SystemInfo)},
		// OCS and chapkit services.
		{"degraded", "ocs, chapkit: /health reports degraded (chapkit: its redis check)", func(st *State) { st.HealthStatus = "degraded" }},
		{"unhealthy", "ocs, chapkit: /health reports unhealthy, still with 200 (chapkit: its database check)", func(st *State) { st.HealthStatus = "unhealthy" }},
		{"unhealthy-503", "ocs, chapkit: /health reports unhealthy with 503, as newer servicekit answers", func(st *State) { st.HealthStatus, st.UnhealthyIs503 = "unhealthy", true }},
		{"health-missing", "ocs, chapkit: /health is 404, as on some other server", fault(Fault{Status: 404}, Health)},
		{"health-not-json", "ocs, chapkit: /health answers an HTML login page with 200, as a proxy in front would", fault(Fault{LoginPage: true}, Health)},
		{"info-missing", "ocs: /info is 404", fault(Fault{Status: 404}, Info)},
		{"capabilities-not-json", "ocs: / answers truncated JSON instead of the openEO capabilities", fault(Fault{MalformedJSON: true}, Capabilities)},
	}
}

// ApplyScenario applies the named scenario on top of st.
func ApplyScenario(st *State, name string) error {
	scenarios := Scenarios()
	i := slices.IndexFunc(scenarios, func(sc Scenario) bool { return sc.Name == name })
	if i < 0 {
		names := make([]string, len(scenarios))
		for j, sc := range scenarios {
			names[j] = sc.Name
		}
		return fmt.Errorf("unknown scenario %q (valid: %s)", name, strings.Join(names, ", "))
	}
	scenarios[i].Apply(st)
	return nil
}

// SetFault sets the fault of one endpoint, creating the map when needed.
func (st *State) SetFault(ep Endpoint, f Fault) {
	if st.Faults == nil {
		st.Faults = map[Endpoint]Fault{}
	}
	st.Faults[ep] = f
}

// ParseFault parses ENDPOINT:KEY=VALUE, as in "me:status=500",
// "apps:latency=2s" or "system_info:malformed_json=true". KEY is a Fault
// field's JSON name. It returns the endpoint and a function setting that field.
func ParseFault(spec string) (Endpoint, func(*Fault), error) {
	name, assignment, ok := strings.Cut(spec, ":")
	key, value, ok2 := strings.Cut(assignment, "=")
	if !ok || !ok2 {
		return "", nil, fmt.Errorf("fault %q: want ENDPOINT:KEY=VALUE", spec)
	}
	ep := Endpoint(name)
	if !slices.Contains(Endpoints(), ep) {
		return "", nil, fmt.Errorf("fault %q: unknown endpoint %q (valid: %s)", spec, name, joinEndpoints())
	}
	set, err := faultSetter(key, value)
	if err != nil {
		return "", nil, fmt.Errorf("fault %q: %w", spec, err)
	}
	return ep, set, nil
}

// ApplyFault parses spec as ParseFault does and sets that field of the
// endpoint's fault in st, keeping its other fields.
func ApplyFault(st *State, spec string) error {
	ep, set, err := ParseFault(spec)
	if err != nil {
		return err
	}
	f := st.Faults[ep]
	set(&f)
	st.SetFault(ep, f)
	return nil
}

func faultSetter(key, value string) (func(*Fault), error) {
	flags := map[string]func(*Fault) *bool{
		"login_redirect": func(f *Fault) *bool { return &f.LoginRedirect },
		"login_page":     func(f *Fault) *bool { return &f.LoginPage },
		"malformed_json": func(f *Fault) *bool { return &f.MalformedJSON },
		"wrong_shape":    func(f *Fault) *bool { return &f.WrongShape },
	}
	switch key {
	case "status":
		code, err := strconv.Atoi(value)
		if err != nil || code < 100 || code > 599 {
			return nil, fmt.Errorf("status %q is not an HTTP status code", value)
		}
		return func(f *Fault) { f.Status = code }, nil
	case "latency":
		d, err := time.ParseDuration(value)
		if err != nil {
			return nil, fmt.Errorf("latency: %w", err)
		}
		return func(f *Fault) { f.Latency = d }, nil
	case "body":
		return func(f *Fault) { f.Body = value }, nil
	case "content_type":
		return func(f *Fault) { f.ContentType = value }, nil
	}
	field, ok := flags[key]
	if !ok {
		return nil, fmt.Errorf("unknown key %q (valid: status, latency, login_redirect, login_page, malformed_json, wrong_shape, body, content_type)", key)
	}
	b, err := strconv.ParseBool(value)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	return func(f *Fault) { *field(f) = b }, nil
}
