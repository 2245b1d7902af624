package dhis2sim_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim/simtest"
	"github.com/dhis2-chap/chap_exporter/internal/testkit"
)

const (
	dhis2JSON = "application/json;charset=UTF-8"
	chapJSON  = "application/json"
	htmlType  = "text/html;charset=UTF-8"
	basicOK   = "Basic YWRtaW46ZGlzdHJpY3Q=" // admin:district
	tokenOK   = "ApiToken " + dhis2sim.DefaultToken
)

// answer is what a client saw.
type answer struct {
	status      int
	contentType string
	location    string
	body        string
}

func start(t *testing.T) (*dhis2sim.Sim, *httptest.Server) {
	t.Helper()
	sim := dhis2sim.New(dhis2sim.Options{})
	return sim, simtest.Serve(t, sim, false)
}

// call sends one request without following redirects, as API clients must not.
func call(t *testing.T, srv *httptest.Server, method, path, authorization string, body string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	return do(t, srv, req)
}

// do sends req without following redirects, as API clients must not.
func do(t *testing.T, srv *httptest.Server, req *http.Request) answer {
	t.Helper()
	client := *srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Location"), string(b)}
}

// want describes the answer expected at one path.
type want struct {
	path        string
	status      int
	contentType string   // checked when not empty
	location    string   // checked when not empty
	contains    []string // body substrings
	lacks       []string // body substrings that must not appear
}

func (w want) check(t *testing.T, got answer) {
	t.Helper()
	if got.status != w.status {
		t.Errorf("%s: status %d, want %d (body %q)", w.path, got.status, w.status, got.body)
	}
	if w.contentType != "" && got.contentType != w.contentType {
		t.Errorf("%s: Content-Type %q, want %q", w.path, got.contentType, w.contentType)
	}
	if w.location != "" && got.location != w.location {
		t.Errorf("%s: Location %q, want %q", w.path, got.location, w.location)
	}
	for _, s := range w.contains {
		if !strings.Contains(got.body, s) {
			t.Errorf("%s: body %q lacks %q", w.path, got.body, s)
		}
	}
	for _, s := range w.lacks {
		if strings.Contains(got.body, s) {
			t.Errorf("%s: body %q contains %q", w.path, got.body, s)
		}
	}
}

// webMessage is the start of a DHIS2 WebMessage body.
func webMessage(code int, status string) string {
	return fmt.Sprintf(`{"httpStatus":%q,"httpStatusCode":%d,`, status, code)
}

var (
	unauthorized = `{"httpStatus":"Unauthorized","httpStatusCode":401,"status":"ERROR","message":"Unauthorized"}`
	healthyMe    = want{path: "/api/me", status: 200, contentType: dhis2JSON, contains: []string{`"username":"admin"`, `"id":"M5zQapPyTZI"`, `"authorities":["ALL"]`}}
	healthyInfo  = want{path: "/api/system/info", status: 200, contentType: dhis2JSON, contains: []string{`"version":"2.42.1"`, `"revision":"a1b2c3d"`, `"buildTime"`, `"serverDate"`, `"systemId"`, `"systemName"`, `"contextPath":"http://`}}
	chapRoute    = "/api/routes?fields=id,code,name,url,disabled&filter=code:eq:chap&paging=false"
)

func TestScenarios(t *testing.T) {
	tests := map[string][]want{
		"healthy": {
			healthyMe, healthyInfo,
			{path: "/", status: 302, location: "/dhis-web-login/"},
			{path: "/dhis-web-login/", status: 200, contentType: htmlType, contains: []string{"<form"}},
			{path: chapRoute, status: 200, contentType: dhis2JSON, contains: []string{`{"routes":[{"code":"chap","disabled":false,"id":"LkCr3Nle7uj","name":"Chap Modeling App","url":"http://chap:8000/**"}]}`}},
			{path: "/api/routes/chap/run/health", status: 200, contentType: chapJSON, contains: []string{`{"message":"healthy","status":"success"}`}},
			{path: "/api/routes/chap/run/health/ready", status: 200, contentType: chapJSON, contains: []string{`"checks":{"celery":"ok","db":"ok","redis":"ok"}`, `"status":"success"`}},
			{path: "/api/routes/chap/run/system/info", status: 200, contentType: chapJSON, contains: []string{`"chap_core_version":"2.1.0"`, `"python_version"`, `"server_date"`, `+00:00"`}},
			{path: "/api/routes/chap/run/v1/system-info", status: 404, contentType: chapJSON, contains: []string{`{"detail":"Not Found"}`}},
			{path: "/api/apps", status: 200, contentType: dhis2JSON, contains: []string{`[{`, `"app_hub_id":"` + dhis2sim.ModelingAppHubID, `"app_hub_id":"` + dhis2sim.ClimateAppHubID, `"version":"6.3.0"`, `"short_name"`, `"launchUrl"`, `"core_app"`, `"appState":"OK"`}},
			{path: "/api/nothing", status: 404, contentType: dhis2JSON, contains: []string{webMessage(404, "Not Found"), "No handler found for GET /api/nothing"}},
			{path: "/elsewhere", status: 404, contentType: htmlType},
		},
		"slow": {healthyMe},
		"bad-credentials": {
			{path: "/api/me", status: 401, contentType: dhis2JSON, contains: []string{unauthorized}},
			{path: "/api/routes/chap/run/health", status: 401, contentType: dhis2JSON, contains: []string{unauthorized}},
			{path: "/", status: 302, location: "/dhis-web-login/"},
		},
		"legacy-login-redirect": {{path: "/api/me", status: 401, contentType: dhis2JSON}}, // Basic auth still gets JSON; see TestAuth
		"login-page":            {{path: "/api/me", status: 200, contentType: htmlType, contains: []string{"<html"}}, healthyInfo},
		"malformed-json":        {{path: "/api/system/info", status: 200, contentType: dhis2JSON, lacks: []string{"}"}}, healthyMe},
		"wrong-shape":           {{path: "/api/apps", status: 200, contentType: dhis2JSON, contains: []string{`{"key"`}, lacks: []string{"["}}},
		"no-route-api": {
			{path: chapRoute, status: 404, contentType: dhis2JSON, contains: []string{webMessage(404, "Not Found")}},
			{path: "/api/routes/chap/run/health", status: 404, contentType: dhis2JSON},
			healthyMe,
		},
		"route-missing": {
			{path: chapRoute, status: 200, contentType: dhis2JSON, contains: []string{`{"routes":[]}`}},
			{path: "/api/routes/chap/run/health", status: 404, contentType: dhis2JSON, contains: []string{webMessage(404, "Not Found"), `"message":"Route chap not found"`}},
		},
		"route-disabled": {
			{path: chapRoute, status: 200, contentType: dhis2JSON, contains: []string{`"disabled":true`}},
			{path: "/api/routes/LkCr3Nle7uj/run/health", status: 404, contentType: dhis2JSON, contains: []string{`"message":"Route LkCr3Nle7uj not found"`}},
		},
		"modeling-app-missing":  {{path: "/api/apps", status: 200, contains: []string{dhis2sim.ClimateAppHubID}, lacks: []string{dhis2sim.ModelingAppHubID}}},
		"climate-app-missing":   {{path: "/api/apps", status: 200, contains: []string{dhis2sim.ModelingAppHubID}, lacks: []string{dhis2sim.ClimateAppHubID}}},
		"apps-without-version":  {{path: "/api/apps", status: 200, lacks: []string{`"version":"6.3.0"`, `"version":"1.4.2"`}, contains: []string{`"version":"2.1.8"`}}},
		"camel-case-app-hub-id": {{path: "/api/apps", status: 200, contains: []string{`"appHubId":"` + dhis2sim.ModelingAppHubID}, lacks: []string{"app_hub_id"}}},
		"chap-core-down": {
			{path: "/api/routes/chap/run/health", status: 502, contentType: dhis2JSON, contains: []string{webMessage(502, "Bad Gateway")}},
			{path: chapRoute, status: 200, contains: []string{`"disabled":false`}},
		},
		"chap-core-slow": {{path: "/api/routes/chap/run/system/info", status: 504, contentType: dhis2JSON, contains: []string{webMessage(504, "Gateway Timeout")}}},
		"chap-core-v1.2": {
			{path: "/api/routes/chap/run/health", status: 200, contentType: chapJSON, contains: []string{`{"status":"healthy"}`}},
			{path: "/api/routes/chap/run/system/info", status: 404, contentType: chapJSON, contains: []string{`{"detail":"Not Found"}`}},
			{path: "/api/routes/chap/run/v1/system-info", status: 200, contentType: chapJSON, contains: []string{`"chap_core_version":"1.2.4"`, `"os"`, `"python_version"`}},
			{path: "/api/routes/chap/run/health/ready", status: 404, contentType: chapJSON},
		},
		"chap-core-v1.1": {
			{path: "/api/routes/chap/run/health", status: 200, contains: []string{`{"status":"healthy"}`}},
			{path: "/api/routes/chap/run/v1/system-info", status: 404},
			{path: "/api/routes/chap/run/system-info", status: 200, contains: []string{`"chap_core_version":"1.1.6"`}},
			{path: "/api/routes/chap/run/version", status: 200, contentType: chapJSON, contains: []string{`{"version":"1.1.6"}`}},
			{path: "/api/routes/chap/run/health/ready", status: 404},
		},
		"chap-core-requires-token": {
			{path: "/api/routes/chap/run/health", status: 200},
			{path: "/api/routes/chap/run/health/ready", status: 200},
			{path: "/api/routes/chap/run/system/info", status: 200},
			{path: "/api/routes/chap/run/v1/system-info", status: 401, contentType: chapJSON, contains: []string{`{"detail":"Not authenticated"}`}},
		},
		"chap-core-unready": {
			{path: "/api/routes/chap/run/health", status: 200},
			{path: "/api/routes/chap/run/health/ready", status: 503, contentType: chapJSON, contains: []string{`"status":"unhealthy"`, `"celery":"error: no workers responded"`, `"db":"ok"`}},
		},
		"remote-server-not-allowed": {{path: "/api/routes/chap/run/health", status: 503, contentType: dhis2JSON, contains: []string{webMessage(503, "Service Unavailable")}}},
		"route-forbidden":           {{path: "/api/routes/chap/run/health", status: 403, contentType: dhis2JSON, contains: []string{webMessage(403, "Forbidden")}}},
		"not-dhis2": {
			{path: "/api/me", status: 404, contentType: "text/plain; charset=utf-8", lacks: []string{"{"}},
			{path: "/api/system/info", status: 404, contentType: "text/plain; charset=utf-8"},
		},
	}
	for _, sc := range dhis2sim.Scenarios() {
		if _, ok := tests[sc.Name]; !ok && serviceScenarios[sc.Name] == nil {
			t.Errorf("scenario %q has no test", sc.Name)
		}
	}
	sim, srv := start(t)
	for name, wants := range tests {
		t.Run(name, func(t *testing.T) {
			sim.Reset()
			resp := call(t, srv, http.MethodPost, "/__sim/scenario/"+name, "", "")
			if resp.status != http.StatusOK {
				t.Fatalf("applying scenario: %d %s", resp.status, resp.body)
			}
			for _, w := range wants {
				w.check(t, call(t, srv, http.MethodGet, w.path, basicOK, ""))
			}
		})
	}
}

func TestScenarioSlowAddsLatency(t *testing.T) {
	sim, srv := start(t)
	sim.Update(func(st *dhis2sim.State) { _ = dhis2sim.ApplyScenario(st, "slow") })
	began := time.Now()
	call(t, srv, http.MethodGet, "/api/me", basicOK, "")
	if d := time.Since(began); d < 200*time.Millisecond {
		t.Errorf("slow scenario answered in %v", d)
	}
}

func TestApplyScenarioUnknown(t *testing.T) {
	err := dhis2sim.ApplyScenario(new(dhis2sim.State), "nope")
	if err == nil || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "chap-core-v1.2") {
		t.Errorf("error %v should name the scenario and list valid ones", err)
	}
}

func TestAuth(t *testing.T) {
	tests := []struct {
		name          string
		legacy        bool
		authorization string
		requestedWith bool
		path          string
		want          want
	}{
		{name: "basic", authorization: basicOK, want: healthyMe},
		{name: "api token", authorization: tokenOK, want: healthyMe},
		{name: "bearer refused", authorization: "Bearer " + dhis2sim.DefaultToken, want: want{status: 401, contentType: dhis2JSON, contains: []string{unauthorized}}},
		{name: "wrong password", authorization: "Basic YWRtaW46d3Jvbmc=", want: want{status: 401, contains: []string{unauthorized}}},
		{name: "wrong token", authorization: "ApiToken d2pat_wrong", want: want{status: 401, contains: []string{unauthorized}}},
		{name: "missing", want: want{status: 401, contentType: dhis2JSON, contains: []string{unauthorized}}},
		{name: "missing on chap-core", path: "/api/routes/chap/run/health", want: want{status: 401, contentType: dhis2JSON}},
		{name: "missing on unknown api path", path: "/api/nothing", want: want{status: 401}},
		{name: "root needs none", path: "/", want: want{status: 302, location: "/dhis-web-login/"}},
		{name: "login page needs none", path: "/dhis-web-login/", want: want{status: 200, contentType: htmlType}},
		{name: "legacy without credentials", legacy: true, want: want{status: 302, location: "/dhis-web-commons/security/login.action"}},
		{name: "legacy token", legacy: true, authorization: tokenOK, want: want{status: 302, location: "/dhis-web-commons/security/login.action"}},
		{name: "legacy basic", legacy: true, authorization: basicOK, want: want{status: 401, contentType: dhis2JSON, contains: []string{unauthorized}}},
		{name: "legacy ajax", legacy: true, requestedWith: true, want: want{status: 401, contains: []string{unauthorized}}},
		{name: "legacy old login page", legacy: true, path: "/dhis-web-commons/security/login.action", want: want{status: 200, contentType: htmlType}},
	}
	sim, srv := start(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim.SetState(dhis2sim.State{LegacyAuth: tt.legacy, RejectCredentials: tt.legacy})
			path := tt.path
			if path == "" {
				path = "/api/me"
			}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.authorization != "" {
				req.Header.Set("Authorization", tt.authorization)
			}
			if tt.requestedWith {
				req.Header.Set("X-Requested-With", "XMLHttpRequest")
			}
			resp, err := http.DefaultTransport.RoundTrip(req) // never follows redirects
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			tt.want.path = path
			tt.want.check(t, answer{resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Location"), string(body)})
		})
	}
}

func TestCustomCredentials(t *testing.T) {
	sim := dhis2sim.New(dhis2sim.Options{Username: "u", Password: "p", Token: "d2pat_t", DHIS2Version: "2.41.3", ChapCoreVersion: "1.3.0", RouteCode: "chap2"})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	for _, w := range []want{
		{path: "/api/me", status: 401},
		{path: "/api/system/info", status: 200, contains: []string{`"version":"2.41.3"`}},
		{path: "/api/routes/chap2/run/system/info", status: 200, contains: []string{`"chap_core_version":"1.3.0"`}},
		{path: "/api/routes/chap2/run/health/ready", status: 404, contains: []string{`"detail":"Not Found"`}}, // only chap-core 2.0+
		{path: "/api/routes/chap/run/health", status: 404, contains: []string{"Route chap not found"}},
	} {
		auth := "ApiToken d2pat_t"
		if w.path == "/api/me" {
			auth = basicOK
		}
		w.check(t, call(t, srv, http.MethodGet, w.path, auth, ""))
	}
	if got := call(t, srv, http.MethodGet, "/api/me", "Basic dTpw", ""); !strings.Contains(got.body, `"username":"u"`) { // u:p
		t.Errorf("me with custom user: %d %s", got.status, got.body)
	}
}

func TestRequestsAndFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault dhis2sim.Fault
		ep    dhis2sim.Endpoint
		req   string // method and path
		want  want
	}{
		{"api version prefix", dhis2sim.Fault{}, "", "GET /api/42/me", healthyMe},
		{"route by id", dhis2sim.Fault{}, "", "GET /api/routes/LkCr3Nle7uj/run/health", want{status: 200, contentType: chapJSON}},
		{"unknown route", dhis2sim.Fault{}, "", "GET /api/routes/nope/run/health", want{status: 404, contentType: dhis2JSON, contains: []string{"Route nope not found"}}},
		{"unknown chap-core path", dhis2sim.Fault{}, "", "GET /api/routes/chap/run/models", want{status: 404, contentType: chapJSON, contains: []string{`{"detail":"Not Found"}`}}},
		{"post to chap-core", dhis2sim.Fault{}, "", "POST /api/routes/chap/run/health", want{status: 405, contentType: chapJSON, contains: []string{"Method Not Allowed"}}},
		{"post to dhis2", dhis2sim.Fault{}, "", "POST /api/me", want{status: 405, contentType: dhis2JSON, contains: []string{webMessage(405, "Method Not Allowed")}}},
		{"routes with pager", dhis2sim.Fault{}, "", "GET /api/routes", want{status: 200, contains: []string{`"pager":{`, `"code":"era5"`, `"code":"chap"`, `"url":"http://chap:8000/**"`}}},
		{"routes filtered by id", dhis2sim.Fault{}, "", "GET /api/routes?filter=id:eq:LkCr3Nle7uj&fields=code&paging=false", want{status: 200, contains: []string{`{"routes":[{"code":"chap"}]}`}}},
		{"routes bad filter", dhis2sim.Fault{}, "", "GET /api/routes?filter=code:like:ch", want{status: 400, contentType: dhis2JSON}},
		{"status", dhis2sim.Fault{Status: 500}, dhis2sim.Me, "GET /api/me", want{status: 500, contentType: dhis2JSON, contains: []string{webMessage(500, "Internal Server Error"), `"status":"ERROR"`}}},
		{"status on chap-core", dhis2sim.Fault{Status: 401}, dhis2sim.ChapSystemInfo, "GET /api/routes/chap/run/system/info", want{status: 401, contentType: chapJSON, contains: []string{`{"detail":"Unauthorized"}`}}},
		{"status on other", dhis2sim.Fault{Status: 418}, dhis2sim.Other, "GET /api/nothing", want{status: 418, contentType: dhis2JSON}},
		{"login redirect", dhis2sim.Fault{LoginRedirect: true, Status: 500}, dhis2sim.SystemInfo, "GET /api/system/info", want{status: 302, location: "/dhis-web-login/"}},
		{"login page", dhis2sim.Fault{LoginPage: true}, dhis2sim.Apps, "GET /api/apps", want{status: 200, contentType: htmlType, contains: []string{"<form"}}},
		{"malformed on chap-core", dhis2sim.Fault{MalformedJSON: true}, dhis2sim.ChapHealth, "GET /api/routes/chap/run/health", want{status: 200, contentType: chapJSON, lacks: []string{"}"}}},
		{"wrong shape object", dhis2sim.Fault{WrongShape: true}, dhis2sim.Me, "GET /api/me", want{status: 200, contentType: dhis2JSON, contains: []string{"[{"}}},
		{"body", dhis2sim.Fault{Body: "oops", ContentType: "text/plain", Status: 503}, dhis2sim.Routes, "GET /api/routes", want{status: 503, contentType: "text/plain", contains: []string{"oops"}}},
		{"body default type", dhis2sim.Fault{Body: `{"a":1}`}, dhis2sim.Root, "GET /", want{status: 200, contentType: "application/json", contains: []string{`{"a":1}`}}},
		{"fault after auth", dhis2sim.Fault{Status: 500}, dhis2sim.Me, "GET /api/me?noauth", want{status: 401}},
		{"fault beats route state", dhis2sim.Fault{Status: 503}, dhis2sim.ChapReady, "GET /api/routes/chap/run/health/ready", want{status: 503, contentType: chapJSON}},
	}
	sim, srv := start(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim.Reset()
			if tt.ep != "" {
				sim.Update(func(st *dhis2sim.State) { st.SetFault(tt.ep, tt.fault) })
			}
			method, path, _ := strings.Cut(tt.req, " ")
			auth := basicOK
			if strings.HasSuffix(path, "?noauth") {
				auth = ""
			}
			tt.want.path = path
			tt.want.check(t, call(t, srv, method, path, auth, ""))
			reqs := sim.Requests()
			if len(reqs) != 1 || reqs[0].Path != path || reqs[0].Method != method || reqs[0].Status != tt.want.status {
				t.Errorf("recorded %+v", reqs)
			}
			if tt.ep != "" && reqs[0].Endpoint != tt.ep {
				t.Errorf("recorded endpoint %q, want %q", reqs[0].Endpoint, tt.ep)
			}
		})
	}
}

// TestHealthyBodies decodes the healthy answers into the shapes checkers expect.
func TestHealthyBodies(t *testing.T) {
	_, srv := start(t)
	get := func(path string, v any) {
		t.Helper()
		if err := json.Unmarshal([]byte(call(t, srv, http.MethodGet, path, tokenOK, "").body), v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	var apps []struct {
		Key      string `json:"key"`
		Version  string `json:"version"`
		AppHubID string `json:"app_hub_id"`
	}
	get("/api/apps", &apps)
	hubIDs := map[string]string{}
	for _, a := range apps {
		hubIDs[a.AppHubID] = a.Key
	}
	if hubIDs[dhis2sim.ModelingAppHubID] != "dhis2-chapmodeling-app" || hubIDs[dhis2sim.ClimateAppHubID] != "climate-data" || len(apps) < 4 {
		t.Errorf("apps %+v", apps)
	}
	var routes struct {
		Routes []struct {
			ID, Code string
			Disabled bool
		}
	}
	get(chapRoute, &routes)
	if len(routes.Routes) != 1 || routes.Routes[0].ID != "LkCr3Nle7uj" {
		t.Errorf("routes %+v", routes)
	}
	var info struct{ Version, ServerDate, ContextPath string }
	get("/api/system/info", &info)
	if _, err := time.Parse("2006-01-02T15:04:05.000", info.ServerDate); err != nil || info.ContextPath != srv.URL {
		t.Errorf("system info %+v: %v", info, err)
	}
}

func TestControlAPI(t *testing.T) {
	sim, srv := start(t)
	step := func(method, path, body string, wantStatus int) string {
		t.Helper()
		got := call(t, srv, method, path, "", body)
		if got.status != wantStatus {
			t.Fatalf("%s %s: %d %q, want %d", method, path, got.status, got.body, wantStatus)
		}
		if wantStatus == http.StatusBadRequest && strings.Count(strings.TrimSpace(got.body), "\n") != 0 {
			t.Errorf("%s %s: error on more than one line: %q", method, path, got.body)
		}
		return got.body
	}
	step("PUT", "/__sim/state", `{"latency":"5ms","faults":{"me":{"status":500,"latency":"1ms"}}}`, 200)
	step("PATCH", "/__sim/state", `{"route_disabled":true,"faults":{"apps":{"wrong_shape":true}}}`, 200)
	want := dhis2sim.State{
		Latency:       5 * time.Millisecond,
		RouteDisabled: true,
		Faults:        map[dhis2sim.Endpoint]dhis2sim.Fault{dhis2sim.Me: {Status: 500, Latency: time.Millisecond}, dhis2sim.Apps: {WrongShape: true}},
	}
	if got := sim.State(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after PATCH: %+v, want %+v", got, want)
	}
	var got dhis2sim.State
	if err := json.Unmarshal([]byte(step("GET", "/__sim/state", "", 200)), &got); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("GET state: %+v (%v), want %+v", got, err, want)
	}
	for _, bad := range []struct{ method, path, body string }{
		{"PATCH", "/__sim/state", `{"latency":`},
		{"PATCH", "/__sim/state", `{"route_disabledd":true}`},
		{"PATCH", "/__sim/state", `{"latency":"fast"}`},
		{"PATCH", "/__sim/state", `{"faults":{"mee":{"status":500}}}`},
		{"PATCH", "/__sim/state", `{"faults":{"me":{"sttus":500}}}`},
		{"PUT", "/__sim/state", `{"chap_core_layout":"v9"}`},
		{"PUT", "/__sim/state", ``},
		{"POST", "/__sim/scenario/nope", ""},
	} {
		step(bad.method, bad.path, bad.body, http.StatusBadRequest)
	}
	if got := sim.State(); !reflect.DeepEqual(got, want) {
		t.Fatalf("a bad request changed the state: %+v", got)
	}
	step("POST", "/__sim/scenario/chap-core-down", "", 200)
	if st := sim.State(); !reflect.DeepEqual(st, dhis2sim.State{ChapCoreDown: true}) {
		t.Errorf("scenario did not replace the state: %+v", st)
	}
	step("POST", "/__sim/scenario/route-disabled?add=true", "", 200)
	if st := sim.State(); !reflect.DeepEqual(st, dhis2sim.State{ChapCoreDown: true, RouteDisabled: true}) {
		t.Errorf("scenario with add=true not applied on top: %+v", st)
	}
	step("POST", "/__sim/scenario/route-disabled?add=yes", "", http.StatusBadRequest)
	step("PUT", "/__sim/state", `{"route_missing":true}`, 200)
	if st := sim.State(); !reflect.DeepEqual(st, dhis2sim.State{RouteMissing: true}) {
		t.Errorf("PUT did not replace: %+v", st)
	}
	list := step("GET", "/__sim/scenarios", "", 200)
	var scenarios []struct{ Name, Description string }
	if err := json.Unmarshal([]byte(list), &scenarios); err != nil || len(scenarios) != len(dhis2sim.Scenarios()) {
		t.Fatalf("scenario list is not every scenario as JSON (%v):\n%s", err, list)
	}
	if lines := strings.Split(strings.TrimSpace(list), "\n"); len(lines) != len(scenarios)+2 || !strings.Contains(list, "\n"+`{"name":"not-dhis2",`) {
		t.Errorf("scenario list is not one scenario per line:\n%s", list)
	}
	step("GET", "/__sim/state", "", 200)
	step("DELETE", "/__sim/state", "", http.StatusMethodNotAllowed)

	call(t, srv, "GET", "/api/me?x=1", tokenOK, "")
	call(t, srv, "GET", "/api/apps", "", "")
	var reqs []dhis2sim.Request
	if err := json.Unmarshal([]byte(step("GET", "/__sim/requests", "", 200)), &reqs); err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 2 || reqs[0].Path != "/api/me?x=1" || reqs[0].AuthScheme != "ApiToken" || reqs[0].Endpoint != dhis2sim.Me ||
		reqs[1].Status != 401 || reqs[1].AuthScheme != "" || reqs[1].RemoteAddr == "" {
		t.Errorf("requests %+v", reqs)
	}
	step("DELETE", "/__sim/requests", "", http.StatusNoContent)
	if body := step("GET", "/__sim/requests", "", 200); strings.TrimSpace(body) != "[]" {
		t.Errorf("requests after DELETE: %s", body)
	}
	step("POST", "/__sim/reset", "", 200)
	if st := sim.State(); !reflect.DeepEqual(st, dhis2sim.State{}) || len(sim.Requests()) != 0 {
		t.Errorf("after reset: %+v, %d requests", st, len(sim.Requests()))
	}
}

func TestStateJSONRoundTrip(t *testing.T) {
	st := dhis2sim.State{Latency: 1500 * time.Millisecond, ChapCoreLayout: dhis2sim.LayoutV11, ChapCoreUnready: "redis"}
	st.SetFault(dhis2sim.ChapHealth, dhis2sim.Fault{Latency: 50 * time.Millisecond, Body: "x", ContentType: "text/plain"})
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"latency":"1.5s"`) || !strings.Contains(string(b), `"latency":"50ms"`) {
		t.Errorf("durations not as strings: %s", b)
	}
	var back dhis2sim.State
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, st) {
		t.Errorf("round trip: %+v (%v), want %+v", back, err, st)
	}
	if b, _ := json.Marshal(dhis2sim.State{}); string(b) != "{}" {
		t.Errorf("healthy state marshals as %s", b)
	}
}

func TestLatencyHonoursCancel(t *testing.T) {
	sim, srv := start(t)
	sim.SetState(dhis2sim.State{Latency: time.Minute})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/me", nil)
	if resp, err := srv.Client().Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, %v; want a deadline error", resp, err)
	}
	// The handler must stop waiting too: its request is recorded once it returns.
	testkit.Eventually(t, "the handler to stop sleeping after the client gave up", 5*time.Second, func() bool { return len(sim.Requests()) > 0 })
	if r := sim.Requests()[0]; r.Status != 0 || r.End.Sub(r.Start) > 5*time.Second {
		t.Errorf("abandoned request recorded as %+v", r)
	}
}

func TestRequestRecordingOrderAndOverlap(t *testing.T) {
	sim, srv := start(t)
	sim.Update(func(st *dhis2sim.State) { st.SetFault(dhis2sim.Me, dhis2sim.Fault{Latency: 150 * time.Millisecond}) })
	var wg sync.WaitGroup
	wg.Go(func() { call(t, srv, http.MethodGet, "/api/me", basicOK, "") })
	time.Sleep(30 * time.Millisecond)
	wg.Go(func() { call(t, srv, http.MethodGet, "/api/system/info", "Bearer secret-bearer", "") })
	wg.Wait()
	reqs := sim.Requests()
	if len(reqs) != 2 {
		t.Fatalf("recorded %d requests", len(reqs))
	}
	me, info := reqs[0], reqs[1]
	if me.Endpoint != dhis2sim.Me || info.Endpoint != dhis2sim.SystemInfo {
		t.Fatalf("not in arrival order: %+v", reqs)
	}
	if !info.Start.After(me.Start) || !info.End.Before(me.End) || me.End.Sub(me.Start) < 150*time.Millisecond {
		t.Errorf("start/end do not show the overlap: %+v", reqs)
	}
	if me.AuthScheme != "Basic" || info.AuthScheme != "Bearer" || info.Status != 401 {
		t.Errorf("auth schemes %q %q, status %d", me.AuthScheme, info.AuthScheme, info.Status)
	}
	b, _ := json.Marshal(reqs)
	for _, secret := range []string{"secret-bearer", "YWRtaW46ZGlzdHJpY3Q", dhis2sim.DefaultPassword} {
		if strings.Contains(string(b), secret) {
			t.Errorf("request records contain the credential %q", secret)
		}
	}
}

func TestConnections(t *testing.T) {
	sim, srv := start(t)
	for range 3 {
		call(t, srv, http.MethodGet, "/api/me", basicOK, "")
	}
	if n := sim.Connections(); n != 1 {
		t.Errorf("keep-alive client opened %d connections, want 1", n)
	}
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for range 2 {
		resp, err := fresh.Get(srv.URL + "/dhis-web-login/") // not "/": following its redirect would connect twice
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if n := sim.Connections(); n != 3 {
		t.Errorf("after two requests without keep-alive: %d connections, want 3", n)
	}
	sim.ClearRequests()
	if n := sim.Connections(); n != 0 || len(sim.Requests()) != 0 {
		t.Errorf("after ClearRequests: %d connections, %d requests", n, len(sim.Requests()))
	}
}

func TestParseFault(t *testing.T) {
	tests := []struct {
		spec    string
		ep      dhis2sim.Endpoint
		want    dhis2sim.Fault
		wantErr string
	}{
		{spec: "me:status=500", ep: dhis2sim.Me, want: dhis2sim.Fault{Status: 500}},
		{spec: "apps:latency=2s", ep: dhis2sim.Apps, want: dhis2sim.Fault{Latency: 2 * time.Second}},
		{spec: "system_info:malformed_json=true", ep: dhis2sim.SystemInfo, want: dhis2sim.Fault{MalformedJSON: true}},
		{spec: "chap_health:login_redirect=1", ep: dhis2sim.ChapHealth, want: dhis2sim.Fault{LoginRedirect: true}},
		{spec: "me:login_page=true", ep: dhis2sim.Me, want: dhis2sim.Fault{LoginPage: true}},
		{spec: "apps:wrong_shape=true", ep: dhis2sim.Apps, want: dhis2sim.Fault{WrongShape: true}},
		{spec: "other:body=a=b:c", ep: dhis2sim.Other, want: dhis2sim.Fault{Body: "a=b:c"}},
		{spec: "root:content_type=text/plain", ep: dhis2sim.Root, want: dhis2sim.Fault{ContentType: "text/plain"}},
		{spec: "mee:status=500", wantErr: `unknown endpoint "mee"`},
		{spec: "me:stat=500", wantErr: `unknown key "stat"`},
		{spec: "me:status=five", wantErr: `status "five"`},
		{spec: "me:status=1000", wantErr: `status "1000"`},
		{spec: "me:latency=soon", wantErr: "latency"},
		{spec: "me:wrong_shape=maybe", wantErr: "wrong_shape"},
		{spec: "me", wantErr: "ENDPOINT:KEY=VALUE"},
		{spec: "me:status", wantErr: "ENDPOINT:KEY=VALUE"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			ep, set, err := dhis2sim.ParseFault(tt.spec)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n") {
					t.Errorf("error %v, want one line containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var f dhis2sim.Fault
			set(&f)
			if ep != tt.ep || f != tt.want {
				t.Errorf("got %s %+v, want %s %+v", ep, f, tt.ep, tt.want)
			}
		})
	}
}

func TestApplyFaultKeepsOtherFields(t *testing.T) {
	var st dhis2sim.State
	for _, spec := range []string{"me:status=500", "me:latency=1s", "apps:wrong_shape=true"} {
		if err := dhis2sim.ApplyFault(&st, spec); err != nil {
			t.Fatal(err)
		}
	}
	if err := dhis2sim.ApplyFault(&st, "x:status=1"); err == nil {
		t.Error("unknown endpoint accepted")
	}
	want := map[dhis2sim.Endpoint]dhis2sim.Fault{dhis2sim.Me: {Status: 500, Latency: time.Second}, dhis2sim.Apps: {WrongShape: true}}
	if !reflect.DeepEqual(st.Faults, want) {
		t.Errorf("faults %+v, want %+v", st.Faults, want)
	}
}

func TestScenarioNamesAreUnique(t *testing.T) {
	var names []string
	for _, sc := range dhis2sim.Scenarios() {
		if sc.Description == "" || sc.Apply == nil {
			t.Errorf("scenario %q incomplete", sc.Name)
		}
		names = append(names, sc.Name)
	}
	if len(slices.Compact(slices.Sorted(slices.Values(names)))) != len(names) {
		t.Errorf("duplicate scenario names in %v", names)
	}
}

func TestMaxConcurrent(t *testing.T) {
	type Request = dhis2sim.Request
	at := func(ms int) time.Time { return time.Unix(0, 0).Add(time.Duration(ms) * time.Millisecond) }
	req := func(from, to int) Request { return Request{Start: at(from), End: at(to)} }
	tests := []struct {
		name string
		reqs []Request
		want int
	}{
		{"none", nil, 0},
		{"one", []Request{req(0, 10)}, 1},
		{"back to back", []Request{req(0, 10), req(10, 20), req(20, 30)}, 1},
		{"two overlap", []Request{req(0, 10), req(5, 15), req(20, 30)}, 2},
		{"nested", []Request{req(0, 100), req(10, 20), req(15, 30), req(18, 19)}, 4},
		{"unordered", []Request{req(50, 60), req(0, 55), req(58, 70)}, 2},
	}
	for _, tt := range tests {
		if got := dhis2sim.MaxConcurrent(tt.reqs); got != tt.want {
			t.Errorf("%s: MaxConcurrent = %d, want %d", tt.name, got, tt.want)
		}
	}
}
