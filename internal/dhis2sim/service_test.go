package dhis2sim_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
)

// serviceWant is a want for an OCS or chapkit service, asked for with accept.
type serviceWant struct {
	want
	accept string
}

var (
	ocsHealthy     = serviceWant{want: want{path: "/health", status: 200, contentType: chapJSON, contains: []string{`{"status":"healthy"}`}}}
	ocsInfo        = serviceWant{want: want{path: "/info", status: 200, contentType: chapJSON, contains: []string{`"app_version":"0.1.0"`, `"python_version"`, `"uvicorn_version"`, `"read_only":true`}}}
	ocsCaps        = serviceWant{want: want{path: "/", status: 200, contentType: chapJSON, contains: []string{`"api_version":"1.2.0"`, `"backend_version":"0.1.0"`, `"id":"nepal-climate-service-demo"`, `"stac_version"`, `"title"`, `"description"`, `"endpoints"`, `"links"`}}, accept: "application/json"}
	ocsLanding     = serviceWant{want: want{path: "/", status: 200, contentType: "text/html; charset=utf-8", contains: []string{"<h1>Open Climate Service 0.1.0</h1>"}}}
	chapkitHealthy = serviceWant{want: want{path: "/health", status: 200, contentType: chapJSON, contains: []string{`{"checks":{"database":{"state":"healthy"},"redis":{"state":"healthy"}},"status":"healthy"}`}}}
)

// serviceScenarios are the scenarios of the OCS and chapkit services,
// with what each service answers under them.
var serviceScenarios = map[string]map[dhis2sim.Service][]serviceWant{
	"healthy": {
		dhis2sim.ServiceOCS: {ocsHealthy, ocsInfo, ocsCaps, ocsLanding,
			{want: want{path: "/", status: 200, contentType: "text/html; charset=utf-8"}, accept: "text/html,application/json;q=0.9"},
			{want: want{path: "/collections/x", status: 404, contentType: chapJSON, contains: []string{`{"detail":"Not Found"}`}}}},
		dhis2sim.ServiceChapkit: {chapkitHealthy,
			{want: want{path: "/api/v1/info", status: 200, contentType: chapJSON, contains: []string{`"display_name":"EWARS model"`, `"version":"0.1.0"`}}},
			{want: want{path: "/", status: 404, contentType: chapJSON, contains: []string{`{"detail":"Not Found"}`}}}},
	},
	"degraded": {
		dhis2sim.ServiceOCS:     {{want: want{path: "/health", status: 200, contains: []string{`{"status":"degraded"}`}}}},
		dhis2sim.ServiceChapkit: {{want: want{path: "/health", status: 200, contains: []string{`"status":"degraded"`, `"redis":{"message":"Redis unavailable: `, `"state":"degraded"`}}}},
	},
	"unhealthy": {
		dhis2sim.ServiceOCS:     {{want: want{path: "/health", status: 200, contains: []string{`{"status":"unhealthy"}`}}}},
		dhis2sim.ServiceChapkit: {{want: want{path: "/health", status: 200, contains: []string{`"status":"unhealthy"`, `"database":{"message":"Check failed: `, `"state":"unhealthy"`}}}},
	},
	"unhealthy-503": {
		dhis2sim.ServiceOCS:     {{want: want{path: "/health", status: 503, contains: []string{`{"status":"unhealthy"}`}}}},
		dhis2sim.ServiceChapkit: {{want: want{path: "/health", status: 503, contains: []string{`"status":"unhealthy"`}}}},
	},
	"health-missing": {
		dhis2sim.ServiceOCS:     {{want: want{path: "/health", status: 404, contentType: chapJSON, contains: []string{`{"detail":"Not Found"}`}}}, ocsInfo},
		dhis2sim.ServiceChapkit: {{want: want{path: "/health", status: 404}}},
	},
	"health-not-json": {
		dhis2sim.ServiceOCS:     {{want: want{path: "/health", status: 200, contentType: htmlType, contains: []string{"<form"}}}},
		dhis2sim.ServiceChapkit: {{want: want{path: "/health", status: 200, contentType: htmlType}}},
	},
	"info-missing":          {dhis2sim.ServiceOCS: {{want: want{path: "/info", status: 404, contentType: chapJSON}}, ocsHealthy, ocsCaps}},
	"capabilities-not-json": {dhis2sim.ServiceOCS: {{want: want{path: "/", status: 200, contentType: chapJSON, lacks: []string{"}"}}, accept: "application/json"}, ocsInfo}},
}

func TestServiceScenarios(t *testing.T) {
	for name, services := range serviceScenarios {
		for service, wants := range services {
			t.Run(name+"/"+string(service), func(t *testing.T) {
				sim := dhis2sim.New(dhis2sim.Options{Service: service})
				if err := dhis2sim.ApplyScenario(new(dhis2sim.State), name); err != nil {
					t.Fatal(err)
				}
				sim.Update(func(st *dhis2sim.State) { _ = dhis2sim.ApplyScenario(st, name) })
				srv := httptest.NewServer(sim)
				defer srv.Close()
				for _, w := range wants {
					req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+w.path, nil)
					if err != nil {
						t.Fatal(err)
					}
					if w.accept != "" {
						req.Header.Set("Accept", w.accept)
					}
					w.check(t, do(t, srv, req))
				}
				for _, r := range sim.Requests() {
					if r.AuthScheme != "" {
						t.Errorf("request %s carried credentials", r.Path)
					}
				}
			})
		}
	}
}

func TestChapkitHealthPath(t *testing.T) {
	srv := httptest.NewServer(dhis2sim.New(dhis2sim.Options{Service: dhis2sim.ServiceChapkit, HealthPath: "/api/v1/health"}))
	defer srv.Close()
	for path, code := range map[string]int{"/api/v1/health": 200, "/health": 404} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
		if got := do(t, srv, req); got.status != code {
			t.Errorf("GET %s = %d, want %d", path, got.status, code)
		}
	}
}
