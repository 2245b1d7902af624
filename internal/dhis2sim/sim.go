package dhis2sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Credentials the simulator accepts when Options leaves them empty. They are
// deliberately public: the simulator guards nothing.
const (
	DefaultUsername = "admin"
	DefaultPassword = "district"
	DefaultToken    = "d2pat_simulator0000000000000000000000000"
)

// App Hub ids of the two apps a CHAP deployment needs. Checkers must match
// apps by these ids because keys and names change with packaging.
const (
	ModelingAppHubID = "a29851f9-82a7-4ecd-8b2c-58e0f220bc75"
	ClimateAppHubID  = "effb986c-a3c7-485e-a2f6-5e54ff9df7c3"
)

// Options fixes what stays constant for the life of a Sim: who may log in and
// which versions the servers report. Everything switchable lives in State.
type Options struct {
	// Username, Password and Token are the accepted credentials; empty
	// means the matching Default constant.
	Username, Password, Token string
	// DHIS2Version and DHIS2Revision are reported by /api/system/info;
	// empty means "2.42.1" and "a1b2c3d".
	DHIS2Version, DHIS2Revision string
	// ChapCoreVersion is reported by chap-core's current layout; empty
	// means "2.1.0". /health/ready exists only from chap-core 2.0 on.
	ChapCoreVersion string
	// RouteCode is the code of the DHIS2 route to chap-core; empty means "chap".
	RouteCode string
	// Service is what the Sim serves: DHIS2 (the default), an Open
	// Climate Service or a chapkit service.
	Service Service
	// ServiceVersion is the version an OCS or chapkit service reports;
	// empty means "0.1.0".
	ServiceVersion string
	// HealthPath is where a chapkit service serves its health; empty
	// means "/health" (older chapkit used "/api/v1/health").
	HealthPath string
	// ReadWrite makes an OCS report read_only false; public demo
	// deployments run read-only.
	ReadWrite bool
}

func (o Options) withDefaults() Options {
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&o.Username, DefaultUsername)
	def(&o.Password, DefaultPassword)
	def(&o.Token, DefaultToken)
	def(&o.DHIS2Version, "2.42.1")
	def(&o.DHIS2Revision, "a1b2c3d")
	def(&o.ChapCoreVersion, "2.1.0")
	def(&o.RouteCode, "chap")
	def((*string)(&o.Service), string(ServiceDHIS2))
	def(&o.ServiceVersion, "0.1.0")
	def(&o.HealthPath, "/health")
	return o
}

// Endpoint names one simulated endpoint. The names are stable because faults,
// request records, command-line flags and the control API all use them.
type Endpoint string

// The endpoints the simulator tells apart.
const (
	Root           Endpoint = "root"             // GET / (302 to the login page, as DHIS2 does when not logged in)
	Login          Endpoint = "login"            // GET /dhis-web-login/ and the old /dhis-web-commons/security/login.action
	Me             Endpoint = "me"               // /api/me
	SystemInfo     Endpoint = "system_info"      // /api/system/info
	Routes         Endpoint = "routes"           // /api/routes
	ChapHealth     Endpoint = "chap_health"      // /api/routes/{code-or-id}/run/health
	ChapReady      Endpoint = "chap_ready"       // /api/routes/{code-or-id}/run/health/ready
	ChapSystemInfo Endpoint = "chap_system_info" // /api/routes/{code-or-id}/run/ system/info, v1/system-info, system-info, v1/version, version
	Apps           Endpoint = "apps"             // /api/apps
	Health         Endpoint = "health"           // OCS and chapkit: GET /health (chapkit: Options.HealthPath)
	Info           Endpoint = "info"             // OCS: GET /info; chapkit: GET /api/v1/info
	Capabilities   Endpoint = "capabilities"     // OCS: GET /, openEO capabilities as JSON when asked for, else the landing page
	Other          Endpoint = "other"            // anything else, including other route run sub-paths
)

// Endpoints lists every Endpoint, in the order a checker would visit them.
func Endpoints() []Endpoint {
	return []Endpoint{Root, Login, Me, SystemInfo, Routes, ChapHealth, ChapReady, ChapSystemInfo, Apps, Health, Info, Capabilities, Other}
}

// Fault overrides how one endpoint answers. The zero value behaves normally.
// When several fields are set, LoginRedirect wins, then Body, LoginPage,
// MalformedJSON and WrongShape; those answer with Status when it is set, else 200.
type Fault struct {
	// Status alone answers with a DHIS2 WebMessage body, or on chap_*
	// endpoints with the body chap-core (FastAPI) would pass through the route.
	Status int `json:"status,omitempty"`
	// Latency is an extra delay before answering; in JSON a Go duration string.
	Latency time.Duration `json:"latency,omitempty"`
	// LoginRedirect answers 302 to /dhis-web-login/.
	LoginRedirect bool `json:"login_redirect,omitempty"`
	// LoginPage answers a text/html login page, as an SSO proxy in front of DHIS2 does.
	LoginPage bool `json:"login_page,omitempty"`
	// MalformedJSON answers application/json with a truncated body.
	MalformedJSON bool `json:"malformed_json,omitempty"`
	// WrongShape answers valid JSON of the wrong shape: an array where an
	// object is expected, an object where an array is expected.
	WrongShape bool `json:"wrong_shape,omitempty"`
	// Body replaces the body verbatim, with ContentType (default application/json).
	Body        string `json:"body,omitempty"`
	ContentType string `json:"content_type,omitempty"`
}

// State is the whole switchable behaviour of a Sim. The zero value is a
// healthy DHIS2 with the chap route, chap-core and both apps.
type State struct {
	// Latency is added to every request except control requests; in JSON a Go duration string.
	Latency time.Duration `json:"latency,omitempty"`
	// Faults override single endpoints, after authentication.
	Faults map[Endpoint]Fault `json:"faults,omitempty"`
	// RejectCredentials refuses every credential, like an expired token or a changed password.
	RejectCredentials bool `json:"reject_credentials,omitempty"`
	// LegacyAuth makes refused requests without Basic auth and without
	// X-Requested-With redirect to the old login page instead of answering 401 JSON.
	LegacyAuth bool `json:"legacy_auth,omitempty"`
	// NoRouteAPI simulates DHIS2 before 2.40: /api/routes and below are 404.
	NoRouteAPI bool `json:"no_route_api,omitempty"`
	// RouteMissing removes the chap route.
	RouteMissing bool `json:"route_missing,omitempty"`
	// RouteDisabled lists the route with disabled:true; running it is 404.
	RouteDisabled bool `json:"route_disabled,omitempty"`
	// ModelingAppMissing and ClimateAppMissing remove the app from /api/apps.
	ModelingAppMissing bool `json:"modeling_app_missing,omitempty"`
	ClimateAppMissing  bool `json:"climate_app_missing,omitempty"`
	// AppsWithoutVersion drops "version" from the two CHAP apps.
	AppsWithoutVersion bool `json:"apps_without_version,omitempty"`
	// CamelCaseAppHubID spells the App Hub id key appHubId, as some DHIS2 versions do.
	CamelCaseAppHubID bool `json:"camel_case_app_hub_id,omitempty"`
	// AppsAsObject wraps the app list as {"apps":[...]}.
	AppsAsObject bool `json:"apps_as_object,omitempty"`
	// ChapCoreDown makes running the route 502: chap-core did not respond.
	ChapCoreDown bool `json:"chap_core_down,omitempty"`
	// ChapCoreSlow makes running the route 504, the answer DHIS2 gives when
	// its upstream read times out. It answers at once; add Latency to also wait.
	ChapCoreSlow bool `json:"chap_core_slow,omitempty"`
	// ChapCoreLayout picks the chap-core generation: "" or "current"
	// (v1.3 and later), "v1.2" or "v1.1"; they differ in paths and bodies.
	ChapCoreLayout string `json:"chap_core_layout,omitempty"`
	// ChapCoreRequiresToken makes chap-core answer 401 to everything except
	// /health, /health/ready and /system/info.
	ChapCoreRequiresToken bool `json:"chap_core_requires_token,omitempty"`
	// ChapCoreUnready names a failing chap-core subsystem (db, redis or
	// celery): /health/ready then answers 503 with that check in error.
	ChapCoreUnready string `json:"chap_core_unready,omitempty"`
	// RemoteServerNotAllowed makes running the route 503, as when the
	// route URL is not in route.remote_servers_allowed.
	RemoteServerNotAllowed bool `json:"remote_server_not_allowed,omitempty"`
	// RouteForbidden makes running the route 403: the user lacks sharing and authorities.
	RouteForbidden bool `json:"route_forbidden,omitempty"`
	// HealthStatus is the status an OCS or chapkit /health reports; empty
	// means healthy. A chapkit service reports degraded through its redis
	// check and unhealthy through its database check.
	HealthStatus string `json:"health_status,omitempty"`
	// UnhealthyIs503 answers an unhealthy /health with 503, as newer
	// servicekit does; chapkit's documented behaviour is 200 whatever the status.
	UnhealthyIs503 bool `json:"unhealthy_is_503,omitempty"`
}

// clone copies st deeply enough that the copy can be changed freely.
func (st State) clone() State {
	st.Faults = maps.Clone(st.Faults)
	return st
}

// Request is one request the simulator answered; control requests are not
// recorded. Start and End enclose the whole handling, latency included, so
// tests can assert ordering and overlap.
type Request struct {
	Endpoint Endpoint  `json:"endpoint"`
	Method   string    `json:"method"`
	Path     string    `json:"path"` // with the raw query
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	// Status is 0 when the client went away before an answer was written.
	Status int `json:"status"`
	// AuthScheme is "Basic", "ApiToken", "Bearer", "unknown" for any other
	// Authorization header, or "" without one. The credential itself is never kept.
	AuthScheme string `json:"auth_scheme"`
	RemoteAddr string `json:"remote_addr"`
}

// Sim simulates DHIS2 with the chap route and chap-core behind it. It is an
// http.Handler and safe for concurrent use. Create one with New.
type Sim struct {
	opts    Options
	control http.Handler

	mu       sync.Mutex
	state    State
	requests []Request
	conns    int
}

// New returns a healthy simulator.
func New(opts Options) *Sim {
	s := &Sim{opts: opts.withDefaults()}
	s.control = s.controlMux()
	return s
}

// State returns a copy of the current behaviour.
func (s *Sim) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.clone()
}

// SetState replaces the whole behaviour.
func (s *Sim) SetState(st State) {
	s.Update(func(cur *State) { *cur = st.clone() })
}

// Update changes the behaviour atomically, so concurrent tests or control
// requests cannot lose each other's changes.
func (s *Sim) Update(fn func(*State)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state.clone()
	fn(&st)
	s.state = st
}

// update is Update for changes that can fail: the state stays untouched on error.
func (s *Sim) update(fn func(*State) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state.clone()
	if err := fn(&st); err != nil {
		return err
	}
	s.state = st
	return nil
}

// Reset restores the healthy state and forgets requests and connections.
func (s *Sim) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state = State{}
	s.requests, s.conns = nil, 0
}

// Requests returns the recorded requests in arrival order.
func (s *Sim) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// ClearRequests forgets recorded requests and the connection count.
func (s *Sim) ClearRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests, s.conns = nil, 0
}

// ConnState counts new connections; assign it to http.Server.ConnState so
// tests can check that a client reuses connections.
func (s *Sim) ConnState(_ net.Conn, st http.ConnState) {
	if st != http.StateNew {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns++
}

// Connections returns how many connections were opened since the last Reset or ClearRequests.
func (s *Sim) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// record appends one answered request. Requests are recorded when they end,
// so each is inserted after every request that started no later, which keeps
// the list in arrival order.
func (s *Sim) record(req Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, _ := slices.BinarySearchFunc(s.requests, req.Start, func(r Request, t time.Time) int {
		if r.Start.After(t) {
			return 1
		}
		return -1
	})
	s.requests = slices.Insert(s.requests, i, req)
}

// decodeStrict decodes JSON refusing unknown keys, so a typo in a control
// request is an error instead of a silently ignored switch.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// marshalWithLatency marshals plain, a method-less copy of a Fault or State,
// with its latency as a Go duration string such as "50ms" that people can
// read and write in the control API.
func marshalWithLatency(plain any, latency time.Duration) ([]byte, error) {
	b, err := json.Marshal(plain)
	if err != nil || latency == 0 {
		return b, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, err
	}
	fields["latency"], err = json.Marshal(latency.String())
	if err != nil {
		return nil, err
	}
	return json.Marshal(fields)
}

// unmarshalWithLatency is the reverse of marshalWithLatency. It merges onto
// plain and *latency, leaving fields absent from b as they were.
func unmarshalWithLatency(b []byte, plain any, latency *time.Duration) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return err
	}
	if raw, ok := fields["latency"]; ok {
		var text string
		if err := json.Unmarshal(raw, &text); err != nil {
			return fmt.Errorf("latency must be a duration string like \"50ms\": %w", err)
		}
		d, err := time.ParseDuration(text)
		if err != nil {
			return fmt.Errorf("latency: %w", err)
		}
		*latency = d
		delete(fields, "latency")
		if b, err = json.Marshal(fields); err != nil {
			return err
		}
	}
	return decodeStrict(b, plain)
}

// MarshalJSON writes Latency as a duration string.
func (f Fault) MarshalJSON() ([]byte, error) {
	type plain Fault // without these methods, so no recursion
	return marshalWithLatency(plain(f), f.Latency)
}

// UnmarshalJSON reads Latency as a duration string and merges onto f.
func (f *Fault) UnmarshalJSON(b []byte) error {
	type plain Fault
	return unmarshalWithLatency(b, (*plain)(f), &f.Latency)
}

// MarshalJSON writes Latency as a duration string.
func (st State) MarshalJSON() ([]byte, error) {
	type plain State
	return marshalWithLatency(plain(st), st.Latency)
}

// UnmarshalJSON reads Latency as a duration string and merges onto st, which
// is what PATCH /__sim/state relies on. Unknown keys, endpoints and layouts
// are errors.
func (st *State) UnmarshalJSON(b []byte) error {
	type plain State
	if err := unmarshalWithLatency(b, (*plain)(st), &st.Latency); err != nil {
		return err
	}
	return st.validate()
}
