package prober

import (
	"context"

	"github.com/dhis2-chap/chap_exporter/config"
)

func init() {
	Register("ocs_health", nil, CheckFunc(checkOCSHealth), AppliesTo(config.KindOCS))
}

// checkOCSHealth reads the Open Climate Service's /health: a liveness
// signal of the API process only (it does not probe storage or jobs).
func checkOCSHealth(ctx context.Context, s *Session) Result {
	return serviceHealth(ctx, s, "/health", "this server does not look like an Open Climate Service")
}
