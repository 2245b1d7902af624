package prober

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/dhis2-chap/chap_exporter/config"
)

// statusFailure reads a non-2xx status as DHIS2 means it: a redirect on an
// API call is a login page, and the route proxy has codes of its own. The
// other kinds take no credentials, so a login there is something in front
// of the service.
func statusFailure(kind config.Kind, ar apiRequest, resp *http.Response, body []byte) error {
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return nil
	case code >= 300 && code < 400, code == http.StatusUnauthorized && kind != config.KindDHIS2:
		return loginFailure(kind, ar.path, resp, body)
	}
	route := ar.via == viaRoute
	msg := bodyMessage(body)
	if s, ok := routeStatuses[code]; ok && route {
		return failuref(s.reason, nil, "%s%s", s.text, msg)
	}
	return codeFailure(ar.path, code, route, msg)
}

// codeFailure reads a status that neither a login page nor the route proxy
// explains.
func codeFailure(path string, code int, route bool, msg string) error {
	switch code {
	case http.StatusUnauthorized:
		return failuref(ReasonAuth, nil, "DHIS2 answered 401: the token or password was not accepted%s", msg)
	case http.StatusForbidden:
		return failuref(ReasonForbidden, nil, "%s answered 403: %s%s", path, forbiddenHint(path, route), msg)
	case http.StatusNotFound:
		return failuref(ReasonNotFound, nil, "%s answered 404%s", path, msg)
	}
	return failuref(ReasonHTTPStatus, nil, "%s answered %d%s", path, code, msg)
}

// routeStatuses are the statuses DHIS2's route proxy gives a meaning of its
// own, with what a failure then says (before the body's message).
var routeStatuses = map[int]struct {
	reason Reason
	text   string
}{
	http.StatusUnauthorized:       {ReasonAuth, "chap-core answered 401 through the route: it requires a token for this path"},
	http.StatusBadGateway:         {ReasonUpstreamDown, "DHIS2 route returned 502: chap-core did not respond"},
	http.StatusServiceUnavailable: {ReasonRouteNotAllowed, "DHIS2 route returned 503: the route URL is not allowed by route.remote_servers_allowed"},
	http.StatusGatewayTimeout:     {ReasonUpstreamTimeout, "DHIS2 route returned 504: chap-core did not answer in time"},
}

// loginFailure reads a redirect, or a 401 from a service that takes no
// credentials, as a login page: DHIS2's own when it refused the
// credentials, otherwise something in front of the service.
func loginFailure(kind config.Kind, path string, resp *http.Response, body []byte) error {
	if kind != config.KindDHIS2 {
		return failuref(ReasonAuth, nil, "%s answered %d: something in front of the service asks for a login, and a %s target sends no credentials%s", path, resp.StatusCode, kind, bodyMessage(body))
	}
	// The path says "login page"; the rest is noise, or a ticket. net/http
	// refuses an unparsable Location only on the codes it follows.
	loc := "a Location that is not a URL"
	if u, err := url.Parse(resp.Header.Get("Location")); err == nil {
		loc = u.Path
	}
	return failuref(ReasonAuth, nil, "%s redirected to %s (a login page): credentials not accepted", path, loc)
}

// forbiddenHint says what the monitoring user lacks for a 403 on path,
// naming the authority where DHIS2 documents one, so the fix is one step.
func forbiddenHint(path string, route bool) string {
	switch {
	case route:
		return "the user may not run the route; share it with the user (metadata: can view) or give the user one of the route's authorities"
	case strings.HasPrefix(path, "/api/routes"):
		return "the user may not read routes; share the route with the user (metadata: can view)"
	case strings.HasPrefix(path, "/api/apps"):
		return "the user lacks the authority M_dhis-web-app-management (App Management) or ALL"
	}
	return "the user lacks the authority or sharing"
}

// webMessage is DHIS2's error body; its message makes failures readable.
type webMessage struct {
	Message string `json:"message"`
	Detail  any    `json:"detail"` // chap-core (FastAPI) errors
}

// bodyMessage is the message of an error body, as ": message" to append to
// a failure, or "" when the body has none.
func bodyMessage(body []byte) string {
	var wm webMessage
	if json.Unmarshal(body, &wm) != nil {
		return ""
	}
	msg := wm.Message
	if msg == "" {
		if d, ok := wm.Detail.(string); ok {
			msg = d
		}
	}
	if msg != "" {
		msg = truncate(msg, 200)
		return ": " + msg
	}
	return ""
}
