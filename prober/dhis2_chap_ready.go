package prober

import (
	"cmp"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
)

func init() {
	Register("dhis2_chap_ready", []string{"dhis2_chap_ping"}, CheckFunc(checkChapReady), OptIn())
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
			if states, perr := parseReadiness(answer.Body); perr == nil && len(states) > 0 {
				return readiness(states)
			}
		}
		return Failed(err)
	}
	states, err := parseReadiness(resp.Body)
	if err != nil {
		return Failed(err)
	}
	return readiness(states)
}

// readiness is ok when every subsystem is up, else a failure naming the
// ones that are not. Both carry the subsystems' states, at most
// MaxSubsystems of them, failing ones first so a long list cannot hide them.
func readiness(states map[string]string) Result {
	names := slices.Sorted(maps.Keys(states))
	var down, up, failing []string
	for _, name := range names {
		if SubsystemUp(states[name]) {
			up = append(up, name)
		} else {
			down = append(down, name)
			failing = append(failing, name+" ("+states[name]+")")
		}
	}
	r := OK("chap-core ready: %s ok", listText(names, ", "))
	if len(failing) > 0 {
		r = Fail(ReasonNotReady, "chap-core not ready: %s", listText(failing, ", "))
	}
	kept := slices.Concat(down, up)
	kept = kept[:min(len(kept), MaxSubsystems)]
	r.Subsystems = make(map[string]string, len(kept))
	for _, name := range kept {
		r.Subsystems[name] = states[name]
	}
	return r
}

// parseReadiness reads {"status":...,"checks":{"db":"ok",...}}. A check may
// also be an object with a state or status (the chapkit shape).
func parseReadiness(body []byte) (map[string]string, error) {
	var ready struct {
		Checks map[string]json.RawMessage `json:"checks"`
	}
	if err := decodeObject(body, &ready); err != nil {
		return nil, err
	}
	if len(ready.Checks) > MaxEntries {
		return nil, failuref(ReasonBadResponse, nil, "readiness answer has more than %d checks", MaxEntries)
	}
	states := make(map[string]string, len(ready.Checks))
	for name, raw := range ready.Checks {
		var state string
		if json.Unmarshal(raw, &state) != nil {
			var obj struct {
				State  string `json:"state"`
				Status string `json:"status"`
			}
			_ = json.Unmarshal(raw, &obj)
			state = cmp.Or(obj.State, obj.Status, "unknown")
		}
		states[name] = state
	}
	return states, nil
}
