package prober

import (
	"context"

	"github.com/dhis2-chap/chap_exporter/config"
)

func init() {
	Register("dhis2_chap_ping", []string{"dhis2_chap_route"}, CheckFunc(checkChapPing), AppliesTo(config.KindDHIS2))
}

// checkChapPing calls chap-core's liveness endpoint through the route. Any
// 2xx counts: the body differs between chap-core versions.
func checkChapPing(ctx context.Context, s *Session) Result {
	resp, err := s.GetRoute(ctx, "/health")
	if err != nil {
		return Failed(err)
	}
	return OK("chap-core answered %d through route %q", resp.StatusCode, s.Target.RouteCode)
}
