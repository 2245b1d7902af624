package prober

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/dhis2-chap/chap_exporter/config"
)

func init() {
	Register("dhis2_chap_modeling_app", []string{"dhis2_chap_route"},
		appCheck{label: "Modeling app", hubID: func(t *config.Target) string { return t.ModelingAppHubID }}, AppliesTo(config.KindDHIS2))
	Register("dhis2_chap_climate_app", []string{"dhis2_chap_route"},
		appCheck{label: "Climate app", hubID: func(t *config.Target) string { return t.ClimateAppHubID }}, AppliesTo(config.KindDHIS2))
}

// appCheck finds one DHIS2 app by its App Hub id (keys and names change with
// packaging). Both app checks read the same /api/apps answer, fetched once.
type appCheck struct {
	label string
	hubID func(*config.Target) string
}

// Run implements Check.
func (c appCheck) Run(ctx context.Context, s *Session) Result {
	resp, err := s.GetAPI(ctx, "/api/apps")
	if err != nil {
		return Failed(err)
	}
	apps, malformed, err := parseApps(ctx, resp.Body)
	if err != nil {
		return Failed(err)
	}
	id := c.hubID(s.Target)
	for _, a := range apps {
		if a.hubID() == id {
			return OK("%s %s installed as %q", c.label, a.Version, a.Key).WithVersion(c.label, a.Version, "")
		}
	}
	if len(malformed) > 0 {
		return Fail(ReasonBadResponse, "%s (App Hub id %s) not found, and the apps list has malformed entries: %s",
			c.label, id, ListText(malformed, "; "))
	}
	return Fail(ReasonMissing, "%s (App Hub id %s) is not installed", c.label, id)
}

type app struct {
	Key           string `json:"key"`
	Name          string `json:"name"`
	Version       string `json:"version"`
	AppHubID      string `json:"app_hub_id"`
	AppHubIDCamel string `json:"appHubId"` // some DHIS2 versions use camelCase
}

func (a app) hubID() string {
	if a.AppHubID != "" {
		return a.AppHubID
	}
	return a.AppHubIDCamel
}

// parseApps reads /api/apps: a bare array, or an object {"apps": [...]}.
// Entries that are not app objects are reported, not fatal, so one odd entry
// does not hide the apps that are there. Entries are read one at a time and
// at most MaxEntries of them, and parsing stops when ctx ends, so a hostile
// list costs little and never more than the probe's budget.
func parseApps(ctx context.Context, body []byte) (apps []app, malformed []string, err error) {
	list := body
	switch jsonKind(body) {
	case "an array":
	case "object":
		var wrapped struct {
			Apps json.RawMessage `json:"apps"`
		}
		if err := decodeObject(body, &wrapped); err != nil {
			return nil, nil, err
		}
		if jsonKind(wrapped.Apps) != "an array" {
			return nil, nil, failuref(ReasonBadResponse, nil, "apps answer is an object without an apps list")
		}
		list = wrapped.Apps
	case "":
		return nil, nil, failuref(ReasonBadResponse, nil, "apps answer is not valid JSON")
	default:
		return nil, nil, failuref(ReasonBadResponse, nil, "apps answer is %s, want a list", jsonKind(body))
	}
	dec := json.NewDecoder(bytes.NewReader(list))
	if _, err := dec.Token(); err != nil { // the opening '[': the list was validated above
		return nil, nil, failuref(ReasonBadResponse, err, "unexpected apps JSON: %v", err)
	}
	for i := 0; dec.More(); i++ {
		if i == MaxEntries {
			return nil, nil, failuref(ReasonBadResponse, nil, "apps list has more than %d entries", MaxEntries)
		}
		if i%1000 == 999 && ctx.Err() != nil {
			return nil, nil, classify(ctx.Err())
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, failuref(ReasonBadResponse, err, "unexpected apps JSON: %v", err)
		}
		var a app
		if err := decodeObject(raw, &a); err != nil {
			malformed = append(malformed, fmt.Sprintf("entry %d: %s", i, err))
			continue
		}
		apps = append(apps, a)
	}
	return apps, malformed, nil
}
