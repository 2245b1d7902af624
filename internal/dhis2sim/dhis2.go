package dhis2sim

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Paths of the login pages: the current UI and the one older DHIS2 versions redirect to.
const (
	loginPath       = "/dhis-web-login/"
	legacyLoginPath = "/dhis-web-commons/security/login.action"
)

// Content types: DHIS2 (Spring) names the charset, chap-core (FastAPI) does not.
const (
	dhis2JSON = "application/json;charset=UTF-8"
	chapJSON  = "application/json"
	htmlType  = "text/html;charset=UTF-8"
)

const loginHTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>DHIS2 | Login</title></head>
<body><form method="post" action="/api/auth/login"><input name="username"><input name="password" type="password"><button>Log in</button></form></body></html>
`

// Identifiers of the simulated objects. They look like DHIS2's random ids.
const (
	userID        = "M5zQapPyTZI"
	chapRouteID   = "LkCr3Nle7uj"
	systemID      = "eed3d451-4ff5-4193-b951-ffcc68954299"
	dhis2Build    = "2026-05-02T09:12:44.000"
	dhis2DateTime = "2006-01-02T15:04:05.000"
)

// obj keeps the literal bodies below short.
type obj = map[string]any

// target is what a request path asks for.
type target struct {
	ep      Endpoint
	service bool   // answered by an OCS or chapkit service (FastAPI): errors are {"detail":...}
	api     bool   // under /api/: needs credentials, errors are WebMessages
	run     bool   // runs a route, i.e. goes to chap-core
	route   string // route code or id, when run
	sub     string // path below run, starting with "/", when run
}

// classify maps a request path to its endpoint.
func classify(path string) target {
	switch path {
	case "/":
		return target{ep: Root}
	case loginPath, legacyLoginPath:
		return target{ep: Login}
	}
	rest, ok := strings.CutPrefix(path, "/api/")
	if !ok {
		return target{ep: Other}
	}
	// DHIS2 also serves its API under a version, as in /api/42/me.
	if v, after, ok := strings.Cut(rest, "/"); ok && v != "" && strings.Trim(v, "0123456789") == "" {
		rest = after
	}
	t := target{ep: Other, api: true}
	switch rest {
	case "me":
		t.ep = Me
	case "system/info":
		t.ep = SystemInfo
	case "routes":
		t.ep = Routes
	case "apps":
		t.ep = Apps
	}
	if after, ok := strings.CutPrefix(rest, "routes/"); ok {
		ref, sub, _ := strings.Cut(after, "/")
		if sub == "run" || strings.HasPrefix(sub, "run/") {
			t.run, t.route, t.sub = true, ref, cmp.Or(strings.TrimPrefix(sub, "run"), "/")
			t.ep = chapEndpoint(t.sub)
		}
	}
	return t
}

// chapEndpoint names the chap-core endpoint behind a route sub-path.
func chapEndpoint(sub string) Endpoint {
	switch sub {
	case "/health":
		return ChapHealth
	case "/health/ready":
		return ChapReady
	case "/system/info", "/v1/system-info", "/system-info", "/v1/version", "/version":
		return ChapSystemInfo
	}
	return Other
}

// ServeHTTP answers like DHIS2 with chap-core behind its route, and serves
// the control API under /__sim/.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, controlPrefix) {
		s.control.ServeHTTP(w, r)
		return
	}
	t := classify(r.URL.Path)
	if s.opts.Service != ServiceDHIS2 {
		t = s.classifyService(r.URL.Path)
	}
	rec := &statusRecorder{ResponseWriter: w}
	start := time.Now()
	s.serve(rec, r, t, s.State())
	s.record(Request{
		Endpoint: t.ep, Method: r.Method, Path: r.URL.RequestURI(),
		Start: start, End: time.Now(), Status: rec.status,
		AuthScheme: authScheme(r), RemoteAddr: r.RemoteAddr,
	})
}

// serve answers one request: latency first, then credentials, then the
// endpoint's fault, then the normal behaviour.
func (s *Sim) serve(w http.ResponseWriter, r *http.Request, t target, st State) {
	fault := st.Faults[t.ep]
	if sleep(r.Context(), st.Latency+fault.Latency) != nil {
		return // the client gave up; nobody is left to answer
	}
	if t.api && !s.authenticated(r, st) {
		refuse(w, r, st)
		return
	}
	if writeFault(w, t, fault) {
		return
	}
	switch {
	case t.service:
		s.serveService(w, r, t, st)
	case t.ep == Root:
		redirect(w, loginPath)
	case t.ep == Login:
		writeBody(w, http.StatusOK, htmlType, loginHTML)
	case !t.api:
		writeBody(w, http.StatusNotFound, htmlType, "<!DOCTYPE html><html><body><h1>HTTP Status 404 – Not Found</h1></body></html>\n")
	case st.NoRouteAPI && (t.run || t.ep == Routes):
		noHandler(w, r)
	case t.run:
		s.runRoute(w, r, t, st)
	case t.ep == Other:
		noHandler(w, r)
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		// The simulator is read-only; DHIS2 answers unsupported methods like this.
		writeWebMessage(w, http.StatusMethodNotAllowed, fmt.Sprintf("Request method '%s' is not supported", r.Method))
	case t.ep == Me:
		writeJSON(w, http.StatusOK, dhis2JSON, s.me())
	case t.ep == SystemInfo:
		writeJSON(w, http.StatusOK, dhis2JSON, s.systemInfo(r))
	case t.ep == Routes:
		s.serveRoutes(w, r, st)
	case t.ep == Apps:
		writeJSON(w, http.StatusOK, dhis2JSON, appList(r, st))
	}
}

// sleep waits d unless ctx ends first, so a client's timeout frees the handler.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("latency cut short: %w", ctx.Err())
	}
}

// authenticated reports whether r carries accepted credentials. Bearer is
// refused on purpose: DHIS2 personal access tokens use the ApiToken scheme.
func (s *Sim) authenticated(r *http.Request, st State) bool {
	if st.RejectCredentials {
		return false
	}
	if user, pass, ok := r.BasicAuth(); ok {
		return user == s.opts.Username && pass == s.opts.Password
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	return scheme == "ApiToken" && token == s.opts.Token
}

// refuse answers a request without accepted credentials the way the
// simulated DHIS2 version does.
func refuse(w http.ResponseWriter, r *http.Request, st State) {
	if st.LegacyAuth && authScheme(r) != "Basic" && r.Header.Get("X-Requested-With") == "" {
		redirect(w, legacyLoginPath)
		return
	}
	writeWebMessage(w, http.StatusUnauthorized, "Unauthorized")
}

// authScheme names the Authorization scheme of r without ever returning the credential.
func authScheme(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if h == "" {
		return ""
	}
	scheme, _, _ := strings.Cut(h, " ")
	switch scheme {
	case "Basic", "ApiToken", "Bearer":
		return scheme
	}
	return "unknown"
}

// writeFault answers with f and reports whether f changed anything.
func writeFault(w http.ResponseWriter, t target, f Fault) bool {
	code := cmp.Or(f.Status, http.StatusOK)
	jsonType := dhis2JSON
	if t.run || t.service {
		jsonType = chapJSON
	}
	switch {
	case f.LoginRedirect:
		redirect(w, loginPath)
	case f.Body != "":
		writeBody(w, code, cmp.Or(f.ContentType, "application/json"), f.Body)
	case f.LoginPage:
		writeBody(w, code, htmlType, loginHTML)
	case f.MalformedJSON:
		writeBody(w, code, jsonType, `{"status":"OK","version":"2.4`)
	case f.WrongShape && t.ep == Apps:
		writeBody(w, code, jsonType, `{"key":"dhis2-chapmodeling-app","name":"Modeling"}`)
	case f.WrongShape:
		writeBody(w, code, jsonType, `[{"status":"OK"}]`)
	case f.Status != 0 && (t.run || t.service):
		writeDetail(w, f.Status, http.StatusText(f.Status))
	case f.Status != 0:
		writeWebMessage(w, f.Status, http.StatusText(f.Status))
	default:
		return false
	}
	return true
}

// noHandler is DHIS2's answer to an API path it does not know.
func noHandler(w http.ResponseWriter, r *http.Request) {
	writeWebMessage(w, http.StatusNotFound, fmt.Sprintf("No handler found for %s %s", r.Method, r.URL.Path))
}

func redirect(w http.ResponseWriter, location string) {
	w.Header().Set("Location", location)
	w.WriteHeader(http.StatusFound)
}

func writeBody(w http.ResponseWriter, code int, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body)) // a failed write means the client left
}

func writeJSON(w http.ResponseWriter, code int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Errorf("dhis2sim: body does not marshal: %w", err)) // bodies are built here, so this is a bug
	}
	writeBody(w, code, contentType, string(b)+"\n")
}

// writeWebMessage answers with DHIS2's error body, like
// {"httpStatus":"Unauthorized","httpStatusCode":401,"status":"ERROR","message":"Unauthorized"}.
func writeWebMessage(w http.ResponseWriter, code int, message string) {
	status := "ERROR"
	if code < http.StatusBadRequest {
		status = "OK"
	}
	writeJSON(w, code, dhis2JSON, struct {
		HTTPStatus     string `json:"httpStatus"`
		HTTPStatusCode int    `json:"httpStatusCode"`
		Status         string `json:"status"`
		Message        string `json:"message"`
	}{http.StatusText(code), code, status, message})
}

// writeDetail answers with FastAPI's error body, as chap-core does.
func writeDetail(w http.ResponseWriter, code int, detail string) {
	writeJSON(w, code, chapJSON, obj{"detail": detail})
}

// baseURL is where the client reached the simulator; DHIS2 reports it as contextPath.
func baseURL(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

func (s *Sim) me() obj {
	return obj{
		"id": userID, "username": s.opts.Username, "name": "John Traore", "displayName": "John Traore",
		"firstName": "John", "surname": "Traore", "email": "john.traore@dhis2.example.org",
		"authorities": []string{"ALL"},
	}
}

func (s *Sim) systemInfo(r *http.Request) obj {
	return obj{
		"version": s.opts.DHIS2Version, "revision": s.opts.DHIS2Revision, "buildTime": dhis2Build,
		"serverDate": time.Now().UTC().Format(dhis2DateTime), "serverTimeZoneId": "Etc/UTC",
		"serverTimeZoneDisplayName": "Coordinated Universal Time", "calendar": "iso8601", "dateFormat": "yyyy-mm-dd",
		"contextPath": baseURL(r), "instanceBaseUrl": baseURL(r), "userAgent": r.UserAgent(),
		"systemId": systemID, "systemName": "DHIS 2 Simulator", "environmentVariable": "DHIS2_HOME",
		"databaseInfo": obj{"spatialSupport": true}, "encryption": false, "emailConfigured": false, "redisEnabled": true,
	}
}

// routes lists the configured routes. An unrelated route comes first so
// that a checker which does not look routes up by code notices.
func (s *Sim) routes(st State) []obj {
	list := []obj{{
		"id": "Xq3Tr8mFaLp", "code": "era5", "name": "ERA5 climate data", "displayName": "ERA5 climate data",
		"url": "https://climate.example.org/era5/**", "disabled": false,
	}}
	if !st.RouteMissing {
		list = append(list, obj{
			"id": chapRouteID, "code": s.opts.RouteCode, "name": "Chap Modeling App", "displayName": "Chap Modeling App",
			"url": "http://chap:8000/**", "disabled": st.RouteDisabled,
		})
	}
	return list
}

// serveRoutes answers GET /api/routes, honouring the filter, fields and
// paging parameters that checkers use.
func (s *Sim) serveRoutes(w http.ResponseWriter, r *http.Request, st State) {
	q := r.URL.Query()
	list := s.routes(st)
	for _, f := range q["filter"] {
		prop, value, ok := strings.Cut(f, ":eq:")
		if !ok {
			writeWebMessage(w, http.StatusBadRequest, fmt.Sprintf("Unsupported filter %q: the simulator knows only property:eq:value", f))
			return
		}
		list = slices.DeleteFunc(list, func(o obj) bool { return fmt.Sprint(o[prop]) != value })
	}
	if fields := q.Get("fields"); fields != "" && fields != "*" && fields != ":all" {
		for i, o := range list {
			list[i] = obj{}
			for _, f := range strings.Split(fields, ",") {
				if v, ok := o[f]; ok {
					list[i][f] = v
				}
			}
		}
	}
	body := obj{"routes": list}
	if q.Get("paging") != "false" {
		body["pager"] = obj{"page": 1, "pageCount": 1, "total": len(list), "pageSize": 50}
	}
	writeJSON(w, http.StatusOK, dhis2JSON, body)
}

// appList answers GET /api/apps: the CHAP apps among unrelated ones.
func appList(r *http.Request, st State) any {
	hubKey := "app_hub_id"
	if st.CamelCaseAppHubID {
		hubKey = "appHubId"
	}
	app := func(key, name, short, version, hubID string, core bool) obj {
		base := baseURL(r) + "/api/apps/" + key
		a := obj{
			"key": key, "name": name, "short_name": short, "version": version, hubKey: hubID,
			"appType": "APP", "launchUrl": base + "/index.html", "baseUrl": base,
			"bundled": core, "core_app": core, "appState": "OK",
		}
		if version == "" {
			delete(a, "version")
		}
		return a
	}
	chapVersion := func(v string) string {
		if st.AppsWithoutVersion {
			return ""
		}
		return v
	}
	apps := []obj{app("data-visualizer", "Data Visualizer", "data-visualizer", "101.2.3", "c6a0d3ee-2f2b-4a24-8fb0-5f4a1fa0e2b9", true)}
	if !st.ModelingAppMissing {
		apps = append(apps, app("dhis2-chapmodeling-app", "Modeling", "chapmodeling-app", chapVersion("6.3.0"), ModelingAppHubID, false))
	}
	if !st.ClimateAppMissing {
		apps = append(apps, app("climate-data", "DHIS2 Climate App", "climate-data", chapVersion("1.4.2"), ClimateAppHubID, false))
	}
	apps = append(apps, app("who-data-quality-app", "WHO Data Quality Tool", "who-data-quality-app", "2.1.8", "a8e2d6f1-3b0c-4a57-9d7e-1f2b3c4d5e6f", false))
	if st.AppsAsObject {
		return obj{"apps": apps}
	}
	return apps
}

// statusRecorder remembers the status code for the request record.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
