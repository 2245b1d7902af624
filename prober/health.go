package prober

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// maxSubMessageBytes bounds one sub-check's message inside a result
// message, so one long message cannot crowd out the others.
const maxSubMessageBytes = 200

// healthDoc is a health answer in the chapkit shape, which OCS and
// chap-core's /health/ready follow too:
// {"status":"healthy|degraded|unhealthy","checks":{"database":{"state":"healthy"},"redis":{"state":"degraded","message":"..."}}}.
// chap-core writes a check as a bare string ("ok", "error: ...").
type healthDoc struct {
	Status   string            // "" when the answer has none (or not as a string)
	States   map[string]string // sub-check → state
	Messages map[string]string // sub-check → message, when it sent one
}

// rawHealth is a health answer as decoded, before read interprets it.
type rawHealth struct {
	Status json.RawMessage            `json:"status"`
	Checks map[string]json.RawMessage `json:"checks"`
}

// parseHealth decodes a health answer.
func parseHealth(body []byte) (healthDoc, error) {
	var raw rawHealth
	if err := decodeObject(body, &raw); err != nil {
		return healthDoc{}, err
	}
	return raw.read()
}

// read interprets a decoded health answer; one with more than MaxEntries
// checks is rejected rather than read.
func (raw rawHealth) read() (healthDoc, error) {
	if len(raw.Checks) > MaxEntries {
		return healthDoc{}, failuref(ReasonBadResponse, nil, "health answer has more than %d checks", MaxEntries)
	}
	doc := healthDoc{States: make(map[string]string, len(raw.Checks)), Messages: map[string]string{}}
	_ = json.Unmarshal(raw.Status, &doc.Status) // not a string: no status
	for name, check := range raw.Checks {
		var state, message string
		if json.Unmarshal(check, &state) != nil {
			var obj struct {
				State   string `json:"state"`
				Status  string `json:"status"`
				Message string `json:"message"`
			}
			_ = json.Unmarshal(check, &obj)
			state, message = cmp.Or(obj.State, obj.Status, "unknown"), obj.Message
		}
		doc.States[name] = state
		if message != "" {
			doc.Messages[name] = truncate(message, maxSubMessageBytes)
		}
	}
	return doc, nil
}

// failingFirst returns the names of the subsystems that are not up, sorted,
// and the states to keep in a result: at most MaxSubsystems, failing ones
// first so a long list cannot hide them.
func failingFirst(states map[string]string) (down []string, kept map[string]string) {
	var up []string
	for _, name := range slices.Sorted(maps.Keys(states)) {
		if SubsystemUp(states[name]) {
			up = append(up, name)
		} else {
			down = append(down, name)
		}
	}
	names := slices.Concat(down, up)
	kept = make(map[string]string, min(len(names), MaxSubsystems))
	for _, name := range names[:min(len(names), MaxSubsystems)] {
		kept[name] = states[name]
	}
	return down, kept
}

// serviceHealth is a check of a service's own health endpoint at path (OCS,
// chapkit): the body decides, whether the status is 200 or, as newer
// servicekit answers when unhealthy, 503. notThis is what a 404 means.
func serviceHealth(ctx context.Context, s *Session, path, notThis string) Result {
	resp, err := s.GetAPI(ctx, path)
	if err != nil {
		answer, ok := ErrorResponse(err)
		switch {
		case ok && answer.StatusCode == http.StatusNotFound:
			return Fail(ReasonNotFound, "%s answered 404: %s", path, notThis)
		case ok && answer.StatusCode == http.StatusServiceUnavailable:
			if doc, perr := parseHealth(answer.Body); perr == nil && doc.Status != "" {
				return healthResult(path, doc)
			}
		}
		return Failed(err)
	}
	var raw rawHealth
	if err := decodeObjectAt(resp.Body, path, &raw); err != nil {
		return Failed(err)
	}
	doc, err := raw.read()
	if err != nil {
		return Failed(err)
	}
	return healthResult(path, doc)
}

// healthResult turns the reported status (compared case-insensitively)
// into a result: healthy ok, degraded warn, anything else fail. It names
// the sub-checks that are not healthy, with their messages, and carries
// the sub-checks' states.
func healthResult(path string, doc healthDoc) Result {
	down, kept := failingFirst(doc.States)
	problems := make([]string, len(down))
	for i, name := range down {
		problems[i] = name + " " + doc.States[name]
		if m := doc.Messages[name]; m != "" {
			problems[i] += " (" + m + ")"
		}
	}
	detail := ""
	if len(problems) > 0 {
		detail = ": " + ListText(problems, ", ")
	}
	var r Result
	switch strings.ToLower(doc.Status) {
	case "healthy":
		r = OK("service reports status healthy%s", checkCount(len(doc.States)))
	case "degraded":
		r = Warn(ReasonNotReady, "service reports status degraded%s", detail)
	case "":
		return Fail(ReasonBadResponse, "%s answer has no status field", path)
	default:
		r = Fail(ReasonNotReady, "service reports status %s%s", truncate(doc.Status, maxSubMessageBytes), detail)
	}
	r.Subsystems = kept
	return r
}

func checkCount(n int) string {
	switch n {
	case 0:
		return ""
	case 1:
		return " (1 check)"
	}
	return fmt.Sprintf(" (%d checks)", n)
}
