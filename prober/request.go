package prober

import (
	"context"
	"net/http"
	"net/url"
)

// via is the way an API request reaches the service. It decides how a
// status other than 2xx is read: DHIS2's route proxy gives 401, 502, 503
// and 504 meanings of its own.
type via uint8

const (
	viaAPI   via = iota // the target's own API
	viaRoute            // chap-core through the chap route (only DHIS2 targets have one)
)

// apiRequest is an authenticated GET a check asks for: the path (with query)
// and the way it goes. Identical requests are sent once per probe.
type apiRequest struct {
	path string
	via  via
}

// routeRequest is the request that runs subpath on the route with code.
// Only it builds a route path, so every route request is read as one.
func routeRequest(code, subpath string) apiRequest {
	return apiRequest{path: "/api/routes/" + url.PathEscape(code) + "/run" + subpath, via: viaRoute}
}

// newRequest builds a GET to the target; only API requests carry credentials.
func (p *Prober) newRequest(ctx context.Context, path string, authenticated bool) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.baseURL+path, nil)
	if err != nil {
		return nil, failuref(ReasonBadResponse, err, "cannot build request for %s", path)
	}
	req.Header.Set("User-Agent", p.opts.UserAgent)
	if authenticated {
		req.Header.Set("Accept", "application/json")
		if p.authorization != "" {
			req.Header.Set("Authorization", string(p.authorization))
		}
	}
	return req, nil
}
