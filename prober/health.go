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

// maxSubsystems bounds how many parts of one health answer are kept, so a
// hostile answer cannot multiply series or message size.
const maxSubsystems = 64

// healthDoc is a health answer in the chapkit shape, which OCS and
// chap-core's /health/ready follow too:
// {"status":"healthy|degraded|unhealthy","checks":{"database":{"state":"healthy"},"redis":{"state":"degraded","message":"..."}}}.
// chap-core writes a check as a bare string ("ok", "error: ...").
type healthDoc struct {
	Status   string            // "" when the answer has none (or not as a string)
	States   map[string]string // sub-check → state, at most maxSubsystems, names and states printable
	Messages map[string]string // sub-check → message, when it sent one
	Dropped  int               // sub-checks beyond maxSubsystems
}

// rawHealth is a health answer as decoded, before parseHealth reads it.
type rawHealth struct {
	Status json.RawMessage            `json:"status"`
	Checks map[string]json.RawMessage `json:"checks"`
}

// parseHealth decodes a health answer; every string in it is made
// printable and bounded.
func parseHealth(body []byte) (healthDoc, error) {
	var raw rawHealth
	if err := decodeObject(body, &raw); err != nil {
		return healthDoc{}, err
	}
	return raw.read(), nil
}

func (raw rawHealth) read() healthDoc {
	doc := healthDoc{States: map[string]string{}, Messages: map[string]string{}}
	var status string
	if json.Unmarshal(raw.Status, &status) == nil {
		doc.Status = printable(status, maxFieldBytes)
	}
	names := slices.Sorted(maps.Keys(raw.Checks))
	if len(names) > maxSubsystems {
		doc.Dropped, names = len(names)-maxSubsystems, names[:maxSubsystems]
	}
	for _, name := range names {
		var state, message string
		if json.Unmarshal(raw.Checks[name], &state) != nil {
			var obj struct {
				State   string `json:"state"`
				Status  string `json:"status"`
				Message string `json:"message"`
			}
			_ = json.Unmarshal(raw.Checks[name], &obj)
			state, message = cmp.Or(obj.State, obj.Status, "unknown"), obj.Message
		}
		name = printable(name, maxLabelBytes)
		doc.States[name] = printable(state, maxLabelBytes)
		if message != "" {
			doc.Messages[name] = printable(message, maxFieldBytes)
		}
	}
	return doc
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
	return healthResult(path, raw.read())
}

// maxListedProblems bounds how many sub-checks a message names.
const maxListedProblems = 8

// healthResult turns the reported status (compared case-insensitively)
// into a result: healthy ok, degraded warn, anything else fail. It names
// the sub-checks that are not healthy, with their messages, and carries
// every sub-check's state.
func healthResult(path string, doc healthDoc) Result {
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(doc.States)) {
		if SubsystemUp(doc.States[name]) {
			continue
		}
		p := name + " " + doc.States[name]
		if m := doc.Messages[name]; m != "" {
			p += " (" + m + ")"
		}
		problems = append(problems, p)
	}
	if extra := len(problems) - maxListedProblems; extra > 0 {
		problems = append(problems[:maxListedProblems], fmt.Sprintf("and %d more", extra))
	}
	if doc.Dropped > 0 {
		problems = append(problems, fmt.Sprintf("%d more checks not read", doc.Dropped))
	}
	detail := ""
	if len(problems) > 0 {
		detail = ": " + strings.Join(problems, ", ")
	}
	var r Result
	switch status := strings.ToLower(doc.Status); status {
	case "healthy":
		r = OK("service reports status healthy%s", checkCount(len(doc.States)))
	case "degraded":
		r = Warn(ReasonNotReady, "service reports status degraded%s", detail)
	case "":
		return Fail(ReasonBadResponse, "%s answer has no status field", path)
	default:
		r = Fail(ReasonNotReady, "service reports status %s%s", doc.Status, detail)
	}
	r.Subsystems = doc.States
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
