package prober

import (
	"context"

	"github.com/dhis2-chap/chap_exporter/config"
)

func init() {
	Register("chapkit_health", nil, CheckFunc(checkChapkitHealth), AppliesTo(config.KindChapkit))
}

// checkChapkitHealth reads a chapkit service's health document at the
// target's health_path; each of its checks becomes a subsystem.
func checkChapkitHealth(ctx context.Context, s *Session) Result {
	return serviceHealth(ctx, s, s.Target.HealthPath,
		"this server does not look like a chapkit service (older chapkit serves health at /api/v1/health: set health_path)")
}
