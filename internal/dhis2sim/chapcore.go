package dhis2sim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Chap-core layouts, by the chap-core generation whose paths and bodies they copy.
const (
	LayoutCurrent = "current" // v1.3 and later: /health, /system/info, and /health/ready from 2.0
	LayoutV12     = "v1.2"    // /health, /v1/system-info
	LayoutV11     = "v1.1"    // /health, /system-info, /version
)

// Versions reported by the older layouts; Options.ChapCoreVersion is for the current one.
const (
	chapCoreV12Version = "1.2.4"
	chapCoreV11Version = "1.1.6"
)

// runRoute answers /api/routes/{code-or-id}/run/...: first what DHIS2's
// route proxy decides itself, then whatever chap-core answers.
func (s *Sim) runRoute(w http.ResponseWriter, r *http.Request, t target, st State) {
	switch {
	case st.RouteMissing || st.RouteDisabled || (t.route != s.opts.RouteCode && t.route != chapRouteID):
		writeWebMessage(w, http.StatusNotFound, fmt.Sprintf("Route %s not found", t.route))
	case st.RouteForbidden:
		writeWebMessage(w, http.StatusForbidden, fmt.Sprintf("Access denied to route %s", t.route))
	case st.RemoteServerNotAllowed:
		writeWebMessage(w, http.StatusServiceUnavailable, "Route URL is not allowed by route.remote_servers_allowed")
	case st.ChapCoreDown:
		writeWebMessage(w, http.StatusBadGateway, "Upstream did not respond")
	case st.ChapCoreSlow:
		writeWebMessage(w, http.StatusGatewayTimeout, "Upstream read timed out")
	default:
		s.chapCore(w, r, t.sub, st)
	}
}

// chapCore answers as chap-core would at sub-path sub.
func (s *Sim) chapCore(w http.ResponseWriter, r *http.Request, sub string, st State) {
	// Newer chap-core can require a token everywhere but on the paths
	// monitoring needs; DHIS2 passes its 401 through unchanged.
	if st.ChapCoreRequiresToken && sub != "/health" && sub != "/health/ready" && sub != "/system/info" {
		writeDetail(w, http.StatusUnauthorized, "Not authenticated")
		return
	}
	answer, ok := s.chapPaths(st)[sub]
	switch {
	case !ok:
		writeDetail(w, http.StatusNotFound, "Not Found")
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		writeDetail(w, http.StatusMethodNotAllowed, "Method Not Allowed")
	default:
		writeJSON(w, answer.code, chapJSON, answer.body)
	}
}

// chapAnswer is what chap-core answers at one path.
type chapAnswer struct {
	code int
	body any
}

// chapPaths returns the paths the selected chap-core layout serves.
func (s *Sim) chapPaths(st State) map[string]chapAnswer {
	healthy := chapAnswer{http.StatusOK, obj{"status": "healthy"}}
	switch st.ChapCoreLayout {
	case LayoutV12:
		return map[string]chapAnswer{
			"/health":         healthy,
			"/v1/system-info": {http.StatusOK, legacySystemInfo(chapCoreV12Version)},
		}
	case LayoutV11:
		return map[string]chapAnswer{
			"/health":      healthy,
			"/system-info": {http.StatusOK, legacySystemInfo(chapCoreV11Version)},
			"/version":     {http.StatusOK, obj{"version": chapCoreV11Version}},
		}
	}
	paths := map[string]chapAnswer{
		"/health": {http.StatusOK, obj{"status": "success", "message": "healthy"}},
		"/system/info": {http.StatusOK, obj{
			"chap_core_version": s.opts.ChapCoreVersion, "python_version": "3.13.5",
			"server_date": time.Now().UTC().Format("2006-01-02T15:04:05-07:00"), "server_time_zone_id": "Etc/UTC", "revision": "c12ec120",
		}},
	}
	if major, _, _ := strings.Cut(s.opts.ChapCoreVersion, "."); atoi(major) >= 2 {
		paths["/health/ready"] = readiness(st.ChapCoreUnready)
	}
	return paths
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s) // a version that does not parse counts as 0, i.e. old
	return n
}

func legacySystemInfo(version string) obj {
	return obj{"chap_core_version": version, "python_version": "3.11.9", "os": "Linux-6.1.0-x86_64-with-glibc2.36"}
}

// readiness answers /health/ready with the failing subsystem, if any, in error.
func readiness(failing string) chapAnswer {
	checks := obj{"db": "ok", "redis": "ok", "celery": "ok"}
	if failing == "" {
		return chapAnswer{http.StatusOK, obj{"status": "success", "checks": checks}}
	}
	reason, known := map[string]string{
		"db":     "connection to server at \"postgres\" (172.18.0.2), port 5432 failed: Connection refused",
		"redis":  "Error 111 connecting to redis:6379. Connection refused.",
		"celery": "no workers responded",
	}[failing]
	if !known {
		reason = "unavailable"
	}
	checks[failing] = "error: " + reason
	return chapAnswer{http.StatusServiceUnavailable, obj{"status": "unhealthy", "checks": checks}}
}
