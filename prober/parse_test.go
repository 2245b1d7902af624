package prober

import (
	"context"
	"errors"
	"testing"
)

// reasonOf returns the failure reason of err, "" for nil.
func reasonOf(err error) Reason {
	var f *Failure
	if errors.As(err, &f) {
		return f.Reason
	}
	if err != nil {
		return "untyped"
	}
	return ""
}

func TestParseMe(t *testing.T) {
	tests := []struct {
		body, user string
		reason     Reason
	}{
		{`{"id":"M5zQapPyTZI","username":"admin"}`, "admin", ""},
		{`{"id":"M5zQapPyTZI"}`, "user M5zQapPyTZI", ""},
		{`{"name":"x"}`, "", ReasonBadResponse},
		{`[]`, "", ReasonBadResponse},
		{`null`, "", ReasonBadResponse},
		{`{"username":42}`, "", ReasonBadResponse},
		{`{"username":"adm`, "", ReasonBadResponse},
		{``, "", ReasonBadResponse},
	}
	for _, tt := range tests {
		user, err := parseMe([]byte(tt.body))
		if user != tt.user || reasonOf(err) != tt.reason {
			t.Errorf("parseMe(%s) = %q, %v; want %q, reason %q", tt.body, user, err, tt.user, tt.reason)
		}
	}
}

func TestParseRoutes(t *testing.T) {
	tests := []struct {
		body     string
		found    bool
		disabled bool
		reason   Reason
	}{
		{`{"routes":[{"id":"a","code":"era5"},{"id":"LkCr3Nle7uj","code":"chap","url":"http://chap:8000/**","disabled":false}]}`, true, false, ""},
		{`{"pager":{"page":1},"routes":[{"code":"chap","disabled":true}]}`, true, true, ""},
		{`{"routes":[]}`, false, false, ""},
		{`{}`, false, false, ReasonBadResponse},
		{`{"routes":null}`, false, false, ReasonBadResponse},
		{`{"routes":{}}`, false, false, ReasonBadResponse},
		{`{"routes":["chap"]}`, false, false, ReasonBadResponse},
		{`{"routes":[{"code":"chap","disabled":"no"}]}`, false, false, ReasonBadResponse},
		{`[{"code":"chap"}]`, false, false, ReasonBadResponse},
	}
	for _, tt := range tests {
		r, found, err := parseRoutes([]byte(tt.body), "chap")
		if found != tt.found || r.Disabled != tt.disabled || reasonOf(err) != tt.reason {
			t.Errorf("parseRoutes(%s) = %+v, %t, %v; want found=%t disabled=%t reason %q", tt.body, r, found, err, tt.found, tt.disabled, tt.reason)
		}
	}
}

func TestParseApps(t *testing.T) {
	tests := []struct {
		body      string
		apps      int
		malformed int
		reason    Reason
	}{
		{`[{"key":"a","app_hub_id":"x"},{"key":"b","appHubId":"y"}]`, 2, 0, ""},
		{`{"apps":[{"key":"a"}]}`, 1, 0, ""},
		{`[{"key":"a"}, 7, "str", null, [], {"version": 6}]`, 1, 5, ""},
		{`{"other":[]}`, 0, 0, ReasonBadResponse},
		{`"apps"`, 0, 0, ReasonBadResponse},
		{`[{"key":`, 0, 0, ReasonBadResponse},
		{`{"apps":{"key":"a"}}`, 0, 0, ReasonBadResponse},
	}
	for _, tt := range tests {
		apps, malformed, err := parseApps(context.Background(), []byte(tt.body))
		if len(apps) != tt.apps || len(malformed) != tt.malformed || reasonOf(err) != tt.reason {
			t.Errorf("parseApps(%s) = %d apps, %d malformed, %v; want %d, %d, reason %q", tt.body, len(apps), len(malformed), err, tt.apps, tt.malformed, tt.reason)
		}
	}
}

func TestParseVersions(t *testing.T) {
	tests := []struct {
		name              string
		parse             func([]byte) (string, string, error)
		body              string
		version, revision string
		reason            Reason
	}{
		{"system info", parseSystemInfo, `{"version":"2.42.1","revision":"a1b2c3d"}`, "2.42.1", "a1b2c3d", ""},
		{"system info reduced", parseSystemInfo, `{"version":"2.41.3"}`, "2.41.3", "", ""},
		{"system info without version", parseSystemInfo, `{"systemName":"x"}`, "", "", ""},
		{"system info number version", parseSystemInfo, `{"version":2.41}`, "", "", ReasonBadResponse},
		{"system info array", parseSystemInfo, `[]`, "", "", ReasonBadResponse},
		{"chap current", parseChapInfo, `{"chap_core_version":"2.1.0","revision":"c12ec120"}`, "2.1.0", "c12ec120", ""},
		{"chap /version", parseChapInfo, `{"version":"1.1.6"}`, "1.1.6", "", ""},
		{"chap null", parseChapInfo, `null`, "", "", ReasonBadResponse},
	}
	for _, tt := range tests {
		v, rev, err := tt.parse([]byte(tt.body))
		if v != tt.version || rev != tt.revision || reasonOf(err) != tt.reason {
			t.Errorf("%s: got %q, %q, %v; want %q, %q, reason %q", tt.name, v, rev, err, tt.version, tt.revision, tt.reason)
		}
	}
}
