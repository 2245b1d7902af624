package prober

import (
	"context"

	"github.com/dhis2-chap/chap_exporter/config"
)

func init() {
	Register("http_2xx", nil, CheckFunc(checkHTTP2xx), AppliesTo(config.Kinds...),
		// A chapkit service has a page at / only when built with a landing page.
		OptIn(config.KindChapkit))
}

// checkHTTP2xx loads the server's front page without credentials, as a
// browser would, following redirects to the login page.
func checkHTTP2xx(ctx context.Context, s *Session) Result {
	code, err := s.GetPage(ctx, "/")
	if err != nil {
		return Failed(err)
	}
	if code < 200 || code > 299 {
		return Fail(ReasonHTTPStatus, "front page answered %d after redirects", code)
	}
	return OK("front page answered %d", code)
}
