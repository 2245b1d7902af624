package prober

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dhis2-chap/chap_exporter/config"
)

// planTarget plans the checks a target selects plus its custom checks,
// which always run on their target.
func planTarget(t *config.Target, selected []string) ([]*registration, error) {
	extra := make(map[string]*registration, len(t.CustomChecks))
	selected = slices.Clone(selected)
	for _, def := range t.CustomChecks {
		extra[def.Name] = &registration{name: def.Name, requires: def.Requires, check: customCheck{def: def}}
		selected = append(selected, def.Name)
	}
	return planWith(t.Kind, selected, extra)
}

// customCheck runs a check declared in the configuration: one
// authenticated GET, its status, and optionally a JSON field's value and a
// version read from the answer.
type customCheck struct {
	def config.CustomCheck
}

// customRequest is the request a custom check describes. A path that runs
// a DHIS2 route written out in full, without route: true, still goes the
// route's way, so that its 401 and 502–504 read as the route's.
func customRequest(def config.CustomCheck, t *config.Target) apiRequest {
	switch {
	case def.Route:
		return routeRequest(t.RouteCode, def.Path)
	case t.Kind == config.KindDHIS2 && strings.HasPrefix(def.Path, "/api/routes/") && strings.Contains(def.Path, "/run/"):
		return apiRequest{path: def.Path, via: viaRoute}
	}
	return apiRequest{path: def.Path, via: viaAPI}
}

// Run implements Check.
func (c customCheck) Run(ctx context.Context, s *Session) Result {
	ar := customRequest(c.def, s.Target)
	path := ar.path
	resp, err := s.shared(ctx, ar)
	if err != nil {
		answer, ok := ErrorResponse(err)
		if !ok || !slices.Contains(c.def.StatusCodes, answer.StatusCode) {
			return Failed(err)
		}
		resp = answer
	} else if !slices.Contains(c.def.StatusCodes, resp.StatusCode) {
		return Fail(ReasonHTTPStatus, "%s answered %d, want %s", path, resp.StatusCode, codeList(c.def.StatusCodes))
	}
	if c.def.JSONPath == "" && c.def.VersionPath == "" {
		return OK("%s answered %d", path, resp.StatusCode)
	}
	if err := requireJSON(resp, path, s.Target.Kind); err != nil {
		return Failed(err)
	}
	doc, err := decodeAny(resp.Body)
	if err != nil {
		return Failed(err)
	}
	msg := fmt.Sprintf("%s answered %d", path, resp.StatusCode)
	if c.def.JSONPath != "" {
		got, found := dotPath(doc, c.def.JSONPath)
		switch {
		case !found:
			return Fail(ReasonMismatch, "%s: the answer has no %s", path, c.def.JSONPath)
		case got != c.def.JSONEquals:
			return Fail(ReasonMismatch, "%s: %s is %q, want %q", path, c.def.JSONPath, truncate(got, 80), c.def.JSONEquals)
		}
		msg += fmt.Sprintf(" with %s = %q", c.def.JSONPath, got)
	}
	r := OK("%s", msg)
	if c.def.VersionPath != "" {
		version, _ := dotPath(doc, c.def.VersionPath)
		r = r.WithVersion(path, version, "")
	}
	return r
}

// decodeAny decodes JSON keeping numbers as written.
func decodeAny(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, failuref(ReasonBadResponse, err, "answer is not valid JSON")
	}
	return doc, nil
}

// dotPath follows a path like "data.0.status" (numbers index arrays) and
// returns the value as text: strings as they are, other values as JSON.
func dotPath(doc any, path string) (string, bool) {
	v := doc
	for _, part := range strings.Split(path, ".") {
		switch node := v.(type) {
		case map[string]any:
			next, ok := node[part]
			if !ok {
				return "", false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(node) {
				return "", false
			}
			v = node[i]
		default:
			return "", false
		}
	}
	if s, ok := v.(string); ok {
		return s, true
	}
	text, err := json.Marshal(v)
	return string(text), err == nil
}

func codeList(codes []int) string {
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = strconv.Itoa(c)
	}
	return strings.Join(parts, " or ")
}
