package report_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/report"
)

const token = "d2pat_report-canary-7f3e"

// setup serves a simulator and writes a config with targets demo (every
// check) and plain (DHIS2 only).
func setup(t *testing.T) (*dhis2sim.Sim, string, string) {
	t.Helper()
	sim := dhis2sim.New(dhis2sim.Options{Token: token})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Setenv("REPORT_TOKEN", token)
	file := filepath.Join(t.TempDir(), "chap.yml")
	content := fmt.Sprintf("targets:\n  demo:\n    url: %[1]s\n    auth: {token_env: REPORT_TOKEN}\n  plain:\n    url: %[1]s\n    auth: {token_env: REPORT_TOKEN}\n    checks: [dhis2_system_info]\n", srv.URL)
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return sim, srv.URL, file
}

func TestRunCheck(t *testing.T) {
	tests := []struct {
		name    string
		opts    report.CheckOptions
		setup   func(*dhis2sim.State)
		code    int
		stdout  []string // regular expressions; nil means stdout must be empty
		stderr  string
		noLines []string
	}{
		{"all ok", report.CheckOptions{}, nil, 0,
			[]string{`TARGET +CHECK +STATUS +DURATION +VERSION +MESSAGE`, `demo +dhis2_chap_system_info +ok +\S+ +2\.1\.0 +chap-core 2\.1\.0`, `plain +dhis2_system_info +ok +\S+ +2\.42\.1 `}, "", nil},
		{"quiet and ok prints nothing", report.CheckOptions{Quiet: true}, nil, 0, nil, "", nil},
		{"quiet but failing prints the table", report.CheckOptions{Quiet: true}, func(st *dhis2sim.State) { st.ChapCoreDown = true }, 1,
			[]string{`dhis2_chap_ping +fail \(upstream_down\) +\S+ +- +DHIS2 route returned 502`, `skipped \(requirement\)`}, "", nil},
		{"a warning is not ok", report.CheckOptions{Targets: []string{"demo"}}, func(st *dhis2sim.State) { dhis2sim.ApplyScenario(st, "apps-without-version") }, 1,
			[]string{`warn \(no_version\)`}, "", []string{"plain"}},
		{"one target", report.CheckOptions{Targets: []string{"plain"}}, nil, 0, []string{"plain"}, "", []string{"demo"}},
		{"checks subset", report.CheckOptions{Targets: []string{"demo"}, Checks: []string{"dhis2_ping,http_2xx"}}, nil, 0,
			[]string{"dhis2_ping", "http_2xx"}, "", []string{"dhis2_chap"}},
		{"colour", report.CheckOptions{Targets: []string{"plain"}, Colour: true}, nil, 0, []string{regexp.QuoteMeta("\x1b[32mok\x1b[0m")}, "", nil},
		{"unknown target", report.CheckOptions{Targets: []string{"nope"}}, nil, 2, nil, `unknown target "nope": configured targets are demo, plain`, nil},
		{"unknown check", report.CheckOptions{Checks: []string{"dhis2_pong"}}, nil, 2, nil, `--checks: unknown check "dhis2_pong"`, nil},
		{"auth flag without url", report.CheckOptions{TokenEnv: "X"}, nil, 2, nil, "go with --url", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, _, file := setup(t)
			if tt.setup != nil {
				sim.Update(tt.setup)
			}
			var stdout, stderr bytes.Buffer
			opts := tt.opts
			opts.ConfigFile, opts.Stdout, opts.Stderr = file, &stdout, &stderr
			if code := report.RunCheck(t.Context(), opts); code != tt.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tt.code, stderr.String())
			}
			if tt.stdout == nil && stdout.Len() > 0 {
				t.Errorf("stdout should be empty:\n%s", stdout.String())
			}
			for _, want := range tt.stdout {
				if !regexp.MustCompile(want).MatchString(stdout.String()) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			for _, unwanted := range tt.noLines {
				if strings.Contains(stdout.String(), unwanted) {
					t.Errorf("stdout has %q:\n%s", unwanted, stdout.String())
				}
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.stderr)
			}
			if tt.stderr == "" && stderr.Len() > 0 {
				t.Errorf("unexpected stderr: %s", stderr.String())
			}
			if strings.Contains(stdout.String()+stderr.String(), token) {
				t.Error("the token appears in the output")
			}
		})
	}
}

func TestRunCheckAdHocAndJSON(t *testing.T) {
	sim, url, _ := setup(t)
	sim.Update(func(st *dhis2sim.State) { st.ChapCoreDown = true })
	var stdout, stderr bytes.Buffer
	code := report.RunCheck(t.Context(), report.CheckOptions{
		URL: url, TokenEnv: "REPORT_TOKEN", JSON: true, Stdout: &stdout, Stderr: &stderr,
	})
	if code != 1 {
		t.Errorf("exit code %d, want 1; stderr %s", code, stderr.String())
	}
	var doc report.Document
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("not one JSON document: %v\n%s", err, stdout.String())
	}
	if doc.Status != "unhealthy" || len(doc.Targets) != 1 || doc.Targets[0].Target != "127.0.0.1" {
		t.Fatalf("document = %+v", doc)
	}
	checks := doc.Targets[0].Checks
	if checks["dhis2_chap_ping"].State != "unhealthy" || checks["dhis2_chap_ping"].Reason != "upstream_down" ||
		checks["dhis2_chap_system_info"].State != "skipped" || checks["dhis2_system_info"].Version != "2.42.1" {
		t.Errorf("checks = %+v", checks)
	}

	stderr.Reset()
	t.Setenv("REPORT_EMPTY", "")
	for flags, want := range map[string]report.CheckOptions{
		"--token-env: environment variable REPORT_UNSET is not set": {URL: url, TokenEnv: "REPORT_UNSET"},
		"--url: scheme must be http or https":                       {URL: "ftp://x"},
		"--token-env: environment variable <name hidden":            {URL: url, TokenEnv: "d2pat_pastedTokenInsteadOfName1234"},
		"--token-env: is not an environment variable name":          {URL: url, TokenEnv: "d2pat-x/y+z="},
		"--username/--token-env: username \"u\" needs":              {URL: url, Username: "u"},
		"either --url or target names":                              {URL: url, Targets: []string{"demo"}},
	} {
		want.Stdout, want.Stderr = &stdout, &stderr
		if code := report.RunCheck(t.Context(), want); code != 2 || !strings.Contains(stderr.String(), flags) {
			t.Errorf("exit %d, stderr %q, want 2 with %q", code, stderr.String(), flags)
		}
		if want.TokenEnv != "" && !strings.HasPrefix(want.TokenEnv, "REPORT_") && strings.Contains(stderr.String(), want.TokenEnv) {
			t.Errorf("stderr %q echoes the --token-env argument, which looks like a secret", stderr.String())
		}
		stderr.Reset()
	}
}
