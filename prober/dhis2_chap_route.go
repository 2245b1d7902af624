package prober

import (
	"context"

	"github.com/dhis2-chap/chap_exporter/config"
)

func init() {
	Register("dhis2_chap_route", []string{"dhis2_ping"}, CheckFunc(checkChapRoute), AppliesTo(config.KindDHIS2))
}

// checkChapRoute looks the route up by code (ids differ per server); a
// disabled route is a warning because DHIS2 will refuse to run it.
func checkChapRoute(ctx context.Context, s *Session) Result {
	code := s.Target.RouteCode
	// Written out rather than url.Values-encoded so the debug output shows
	// the request as DHIS2 documents it; the code is [A-Za-z0-9_-] only.
	resp, err := s.GetAPI(ctx, "/api/routes?fields=id,code,name,url,disabled&filter=code:eq:"+code+"&paging=false")
	if err != nil {
		if f := classify(err); f.Reason == ReasonNotFound {
			return Fail(ReasonNotFound, "DHIS2 has no route API (404; routes need DHIS2 2.40 or later)")
		}
		return Failed(err)
	}
	r, found, err := parseRoutes(resp.Body, code)
	switch {
	case err != nil:
		return Failed(err)
	case !found:
		return Fail(ReasonMissing, "no route with code %q (the Modeling app creates it)", code)
	case r.Disabled:
		return Warn(ReasonDisabled, "route %q (id %s) is disabled: DHIS2 will not run it", code, r.ID)
	}
	return OK("route %q (id %s) → %s", code, r.ID, r.URL)
}

type route struct {
	ID       string `json:"id"`
	Code     string `json:"code"`
	Name     string `json:"name"`
	URL      string `json:"url"`
	Disabled bool   `json:"disabled"`
}

// parseRoutes finds the route with code in a /api/routes answer.
func parseRoutes(body []byte, code string) (route, bool, error) {
	var list struct {
		Routes *[]route `json:"routes"`
	}
	if err := decodeObject(body, &list); err != nil {
		return route{}, false, err
	}
	if list.Routes == nil {
		return route{}, false, failuref(ReasonBadResponse, nil, "answer has no routes list")
	}
	for _, r := range *list.Routes {
		if r.Code == code {
			return r, true, nil
		}
	}
	return route{}, false, nil
}
