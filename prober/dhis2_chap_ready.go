package prober

import (
	"context"
	"maps"
	"net/http"
	"slices"

	"github.com/dhis2-chap/chap_exporter/config"
)

func init() {
	Register("dhis2_chap_ready", []string{"dhis2_chap_ping"}, CheckFunc(checkChapReady), AppliesTo(config.KindDHIS2), OptIn())
}

// checkChapReady asks chap-core 2.0+ whether its subsystems (db, redis,
// celery) work. A 503 with a readiness body lists the failing ones; a 404
// means chap-core is older than 2.0, which is not a failure.
func checkChapReady(ctx context.Context, s *Session) Result {
	resp, err := s.GetRoute(ctx, "/health/ready")
	if err != nil {
		answer, ok := ErrorResponse(err)
		if ok && answer.StatusCode == http.StatusNotFound {
			return Skip(ReasonUnsupported, "chap-core has no /health/ready: it is older than 2.0")
		}
		if ok && answer.StatusCode == http.StatusServiceUnavailable {
			// DHIS2 itself answers 503 for a route URL it does not allow;
			// only chap-core's readiness body says which subsystem failed.
			if doc, perr := parseHealth(answer.Body); perr == nil && len(doc.States) > 0 {
				return readiness(doc.States)
			}
		}
		return Failed(err)
	}
	doc, err := parseHealth(resp.Body)
	if err != nil {
		return Failed(err)
	}
	return readiness(doc.States)
}

// readiness is ok when every subsystem is up, else a failure naming the
// ones that are not. Both carry the subsystems' states, at most
// MaxSubsystems of them, failing ones first so a long list cannot hide them.
func readiness(states map[string]string) Result {
	down, kept := failingFirst(states)
	failing := make([]string, len(down))
	for i, name := range down {
		failing[i] = name + " (" + states[name] + ")"
	}
	r := OK("chap-core ready: %s ok", ListText(slices.Sorted(maps.Keys(states)), ", "))
	if len(failing) > 0 {
		r = Fail(ReasonNotReady, "chap-core not ready: %s", ListText(failing, ", "))
	}
	r.Subsystems = kept
	return r
}
