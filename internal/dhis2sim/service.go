package dhis2sim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Service is what a Sim serves.
type Service string

// The services a Sim can be. OCS and chapkit are FastAPI services with
// public health endpoints: no credentials, errors as {"detail": ...}.
const (
	ServiceDHIS2   Service = "dhis2"   // DHIS2 with the chap route and chap-core behind it
	ServiceOCS     Service = "ocs"     // an Open Climate Service (openEO)
	ServiceChapkit Service = "chapkit" // a chapkit model service
)

// Services lists every Service.
var Services = []Service{ServiceDHIS2, ServiceOCS, ServiceChapkit}

// Identity of the simulated services.
const (
	ocsBackendID    = "nepal-climate-service-demo"
	ocsAPIVersion   = "1.2.0"
	chapkitID       = "ewars-model"
	chapkitName     = "EWARS model"
	ocsLandingTitle = "Open Climate Service"
)

// classifyService maps a request path of an OCS or chapkit service to its endpoint.
func (s *Sim) classifyService(path string) target {
	t := target{ep: Other, service: true}
	switch {
	case s.opts.Service == ServiceOCS && path == "/health", s.opts.Service == ServiceChapkit && path == s.opts.HealthPath:
		t.ep = Health
	case s.opts.Service == ServiceOCS && path == "/info", s.opts.Service == ServiceChapkit && path == "/api/v1/info":
		t.ep = Info
	case s.opts.Service == ServiceOCS && path == "/":
		t.ep = Capabilities
	}
	return t
}

// serveService answers as the Open Climate Service or chapkit service would.
func (s *Sim) serveService(w http.ResponseWriter, r *http.Request, t target, st State) {
	switch {
	case t.ep == Other:
		writeDetail(w, http.StatusNotFound, "Not Found") // a chapkit service without a landing page has nothing at /
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		writeDetail(w, http.StatusMethodNotAllowed, "Method Not Allowed")
	case t.ep == Health:
		code, body := s.health(st)
		writeJSON(w, code, chapJSON, body)
	case t.ep == Info && s.opts.Service == ServiceOCS:
		writeJSON(w, http.StatusOK, chapJSON, obj{
			"app_version": s.opts.ServiceVersion, "python_version": "3.12.11", "uvicorn_version": "0.46.0", "read_only": !s.opts.ReadWrite,
		})
	case t.ep == Info:
		writeJSON(w, http.StatusOK, chapJSON, obj{"id": chapkitID, "display_name": chapkitName, "version": s.opts.ServiceVersion})
	case wantsJSON(r):
		writeJSON(w, http.StatusOK, chapJSON, s.capabilities(r))
	default:
		// Without Accept: application/json the OCS answers its landing page, as a browser wants.
		writeBody(w, http.StatusOK, "text/html; charset=utf-8", fmt.Sprintf("<!DOCTYPE html><html><head><title>%s</title></head><body><h1>%s %s</h1></body></html>\n",
			ocsLandingTitle, ocsLandingTitle, s.opts.ServiceVersion))
	}
}

// health is the /health answer: OCS sends only the status, chapkit its
// checks too (database by default, and redis). Both answer 200 whatever
// the status unless UnhealthyIs503.
func (s *Sim) health(st State) (int, obj) {
	status := st.HealthStatus
	if status == "" {
		status = "healthy"
	}
	body := obj{"status": status}
	if s.opts.Service == ServiceChapkit {
		database, redis := obj{"state": "healthy"}, obj{"state": "healthy"}
		switch strings.ToLower(status) {
		case "degraded":
			redis = obj{"state": "degraded", "message": "Redis unavailable: Error 111 connecting to redis:6379. Connection refused."}
		case "unhealthy":
			database = obj{"state": "unhealthy", "message": "Check failed: (sqlite3.OperationalError) unable to open database file"}
		}
		body["checks"] = obj{"database": database, "redis": redis}
	}
	if st.UnhealthyIs503 && strings.EqualFold(status, "unhealthy") {
		return http.StatusServiceUnavailable, body
	}
	return http.StatusOK, body
}

// capabilities is the openEO capabilities document at /.
func (s *Sim) capabilities(r *http.Request) obj {
	base := baseURL(r)
	return obj{
		"api_version": ocsAPIVersion, "backend_version": s.opts.ServiceVersion, "stac_version": "1.0.0",
		"id": ocsBackendID, "title": "Nepal Climate Service (demo)", "description": "Climate and earth observation data for DHIS2.",
		"endpoints": []obj{
			{"path": "/collections", "methods": []string{"GET"}},
			{"path": "/processes", "methods": []string{"GET"}},
			{"path": "/jobs", "methods": []string{"GET", "POST"}},
		},
		"links": []obj{{"rel": "self", "href": base + "/"}},
	}
}

// wantsJSON copies the OCS's content negotiation on /: JSON for ?f=json or
// when Accept rates application/json at least as high as text/html.
func wantsJSON(r *http.Request) bool {
	if r.URL.Query().Get("f") == "json" {
		return true
	}
	accept := r.Header.Get("Accept")
	if accept == "" {
		return false
	}
	jsonQ, htmlQ := quality(accept, "application/json"), quality(accept, "text/html")
	return jsonQ >= 0 && jsonQ >= htmlQ
}

// quality is the q-value of mediaType in an Accept header, -1 when absent.
func quality(accept, mediaType string) float64 {
	for _, item := range strings.Split(accept, ",") {
		parts := strings.Split(item, ";")
		if strings.TrimSpace(parts[0]) != mediaType {
			continue
		}
		q := 1.0
		for _, p := range parts[1:] {
			if v, ok := strings.CutPrefix(strings.TrimSpace(p), "q="); ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
		}
		return q
	}
	return -1
}
