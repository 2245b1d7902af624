package main

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
	"time"

	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim/simtest"
	"github.com/dhis2-chap/chap_exporter/internal/testkit"
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
	content := testkit.ReadExpanded(t, "testdata/check.yml", map[string]string{"SIM_URL": srv.URL})
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return sim, srv.URL, file
}

func TestRunCheck(t *testing.T) {
	tests := []struct {
		name    string
		opts    checkOptions
		setup   func(*dhis2sim.State)
		code    int
		stdout  []string // regular expressions; nil means stdout must be empty
		stderr  string
		noLines []string
	}{
		{"all ok", checkOptions{}, nil, 0,
			[]string{`TARGET +CHECK +STATUS +DURATION +VERSION +MESSAGE`, `demo +dhis2_chap_system_info +ok +\S+ +2\.1\.0 +chap-core 2\.1\.0`, `plain +dhis2_system_info +ok +\S+ +2\.42\.1 `}, "", nil},
		{"quiet and ok prints nothing", checkOptions{Quiet: true}, nil, 0, nil, "", nil},
		{"quiet but failing prints the table", checkOptions{Quiet: true}, func(st *dhis2sim.State) { st.ChapCoreDown = true }, 1,
			[]string{`dhis2_chap_ping +fail \(upstream_down\) +\S+ +- +DHIS2 route returned 502`, `skipped \(requirement\)`}, "", nil},
		{"a warning is not ok", checkOptions{Targets: []string{"demo"}}, func(st *dhis2sim.State) { dhis2sim.ApplyScenario(st, "apps-without-version") }, 1,
			[]string{`warn \(no_version\)`}, "", []string{"plain"}},
		{"one target", checkOptions{Targets: []string{"plain"}}, nil, 0, []string{"plain"}, "", []string{"demo"}},
		{"checks subset", checkOptions{Targets: []string{"demo"}, Checks: []string{"dhis2_ping,http_2xx"}}, nil, 0,
			[]string{"dhis2_ping", "http_2xx"}, "", []string{"dhis2_chap"}},
		{"colour", checkOptions{Targets: []string{"plain"}, Colour: true}, nil, 0, []string{regexp.QuoteMeta("\x1b[32mok\x1b[0m")}, "", nil},
		{"unknown target", checkOptions{Targets: []string{"nope"}}, nil, 2, nil, `unknown target "nope": configured targets are demo, plain`, nil},
		{"unknown check", checkOptions{Checks: []string{"dhis2_pong"}}, nil, 2, nil, `--checks: unknown check "dhis2_pong"`, nil},
		{"auth flag without url", checkOptions{TokenEnv: "X"}, nil, 2, nil, "go with --url", nil},
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
			if code := runCheck(t.Context(), opts); code != tt.code {
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
	code := runCheck(t.Context(), checkOptions{
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
	for flags, want := range map[string]checkOptions{
		"--token-env: environment variable REPORT_UNSET is not set": {URL: url, TokenEnv: "REPORT_UNSET"},
		"--url: scheme must be http or https":                       {URL: "ftp://x"},
		"--token-env: environment variable <name hidden":            {URL: url, TokenEnv: "d2pat_pastedTokenInsteadOfName1234"},
		"--token-env: is not an environment variable name":          {URL: url, TokenEnv: "d2pat-x/y+z="},
		"--username/--token-env: username \"u\" needs":              {URL: url, Username: "u"},
		"either --url or target names":                              {URL: url, Targets: []string{"demo"}},
	} {
		want.Stdout, want.Stderr = &stdout, &stderr
		if code := runCheck(t.Context(), want); code != 2 || !strings.Contains(stderr.String(), flags) {
			t.Errorf("exit %d, stderr %q, want 2 with %q", code, stderr.String(), flags)
		}
		if want.TokenEnv != "" && !strings.HasPrefix(want.TokenEnv, "REPORT_") && strings.Contains(stderr.String(), want.TokenEnv) {
			t.Errorf("stderr %q echoes the --token-env argument, which looks like a secret", stderr.String())
		}
		stderr.Reset()
	}
}

func TestRunCheckAdHocKinds(t *testing.T) {
	ocs := simtest.ServeScenario(t, dhis2sim.ServiceOCS, "healthy")
	chapkit := simtest.ServeScenario(t, dhis2sim.ServiceChapkit, "degraded")
	tests := []struct {
		name   string
		opts   checkOptions
		code   int
		stdout []string
		stderr string
	}{
		{"--kind ocs runs the OCS checks", checkOptions{URL: ocs, Kind: "ocs"}, 0,
			[]string{`127\.0\.0\.1 +ocs_info +ok +\S+ +0\.1\.0 +Open Climate Service 0\.1\.0 \(openEO 1\.2\.0, read-only, backend nepal-climate-service-demo\)`,
				`ocs_health +ok`, `http_2xx +ok`}, ""},
		{"--kind chapkit: degraded is not ok", checkOptions{URL: chapkit, Kind: "chapkit"}, 1,
			[]string{`chapkit_health +warn \(not_ready\) +\S+ +- +service reports status degraded: redis degraded`}, ""},
		{"--checks pulls in requirements of the kind", checkOptions{URL: ocs, Kind: "ocs", Checks: []string{"ocs_info"}}, 0,
			[]string{`ocs_health +ok`, `ocs_info +ok`}, ""},
		{"--checks of another kind", checkOptions{URL: ocs, Kind: "ocs", Checks: []string{"dhis2_ping"}}, 2, nil,
			"--checks: check dhis2_ping does not apply to kind ocs"},
		{"unknown kind", checkOptions{URL: ocs, Kind: "dhis3"}, 2, nil, `--kind: unknown kind "dhis3" (want one of dhis2, ocs, chapkit)`},
		{"credentials on ocs", checkOptions{URL: ocs, Kind: "ocs", TokenEnv: "REPORT_TOKEN"}, 2, nil, "--username/--token-env: an ocs target takes no credentials"},
		{"--kind without --url", checkOptions{Kind: "ocs"}, 2, nil, "--kind go with --url"},
	}
	t.Setenv("REPORT_TOKEN", token)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			opts := tt.opts
			opts.ConfigFile, opts.Stdout, opts.Stderr = "/nonexistent.yml", &stdout, &stderr
			if code := runCheck(t.Context(), opts); code != tt.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tt.code, stderr.String())
			}
			for _, want := range tt.stdout {
				if !regexp.MustCompile(want).MatchString(stdout.String()) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			if !strings.Contains(stderr.String(), tt.stderr) || (tt.stderr == "" && stderr.Len() > 0) {
				t.Errorf("stderr %q, want %q", stderr.String(), tt.stderr)
			}
		})
	}
}

// TestRunCheckMixedKinds: one configuration with all three kinds; the table
// and the JSON name each target by its display name and kind.
func TestRunCheckMixedKinds(t *testing.T) {
	_, dhis2, _ := setup(t)
	file := filepath.Join(t.TempDir(), "chap.yml")
	content := fmt.Sprintf(`targets:
  prod:
    display_name: Sierra Leone HMIS
    url: %s
    auth: {token_env: REPORT_TOKEN}
  nepal-ocs:
    kind: ocs
    display_name: Nepal climate service
    url: %s
  ewars-model:
    kind: chapkit
    url: %s
`, dhis2, simtest.ServeScenario(t, dhis2sim.ServiceOCS, "healthy"), simtest.ServeScenario(t, dhis2sim.ServiceChapkit, "healthy"))
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := runCheck(t.Context(), checkOptions{ConfigFile: file, Stdout: &stdout, Stderr: &stderr}); code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, stderr.String(), stdout.String())
	}
	for _, want := range []string{`prod \(Sierra Leone HMIS\) +dhis2_chap_system_info +ok`, `nepal-ocs \(Nepal climate service\) +ocs_info +ok`, `ewars-model +chapkit_health +ok`} {
		if !regexp.MustCompile(want).MatchString(stdout.String()) {
			t.Errorf("table lacks %q:\n%s", want, stdout.String())
		}
	}
	stdout.Reset()
	if code := runCheck(t.Context(), checkOptions{ConfigFile: file, JSON: true, Targets: []string{"nepal-ocs"}, Stdout: &stdout, Stderr: &stderr}); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var doc report.Document
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if h := doc.Targets[0]; h.DisplayName != "Nepal climate service" || h.Kind != "ocs" || len(h.Checks) != 3 {
		t.Errorf("health = %+v", h)
	}
	stderr.Reset()
	code := runCheck(t.Context(), checkOptions{ConfigFile: file, Checks: []string{"ocs_health"}, Stdout: &stdout, Stderr: &stderr})
	if want := "chap_exporter check: --checks: check ocs_health does not apply to kind chapkit (target \"ewars-model\")\n"; code != 2 || stderr.String() != want {
		t.Errorf("exit %d, stderr %q, want 2 with %q", code, stderr.String(), want)
	}
}

// TestRunCheckFlagErrorsExactly pins the whole stderr line of each mistake
// in the ad hoc flags: the flag named, the wording of the file's rule, exit 2.
func TestRunCheckFlagErrorsExactly(t *testing.T) {
	const url = "http://127.0.0.1:1"
	t.Setenv("REPORT_SET", "x")
	tests := []struct {
		opts checkOptions
		want string
	}{
		{checkOptions{URL: url, Timeout: 1500 * time.Millisecond}, "--timeout: invalid duration (want e.g. 10s, 1m30s)"},
		{checkOptions{URL: url, Timeout: -5 * time.Second}, "--timeout: invalid duration (want e.g. 10s, 1m30s)"},
		{checkOptions{URL: url, Timeout: time.Microsecond}, "--timeout: invalid duration (want e.g. 10s, 1m30s)"},
		{checkOptions{URL: url, Timeout: 10*time.Minute + 500*time.Millisecond}, "--timeout: invalid duration (want e.g. 10s, 1m30s)"},
		{checkOptions{URL: url, Timeout: 10 * time.Minute}, "--timeout: must be at most 5m"},
		{checkOptions{URL: url, Kind: "foo"}, `--kind: unknown kind "foo" (want one of dhis2, ocs, chapkit)`},
		{checkOptions{URL: url, Kind: "chapkit", Username: "u", PasswordEnv: "REPORT_SET"},
			"--username/--token-env: a chapkit target takes no credentials: chapkit health endpoints are unauthenticated by convention, and a DHIS2 token means nothing to a chapkit service"},
		{checkOptions{URL: url, PasswordEnv: "REPORT_SET"}, "--username/--token-env: a password needs a username"},
		{checkOptions{URL: url, Username: "u", TokenEnv: "REPORT_SET"},
			"--username/--token-env: choose one of token (token, token_env, token_file) or username with a password, not both"},
		{checkOptions{URL: url, Username: "u", PasswordEnv: "REPORT_UNSET"}, "--password-env: environment variable REPORT_UNSET is not set"},
		{checkOptions{URL: url, Username: "u", PasswordEnv: "1x"},
			"--password-env: is not an environment variable name (letters, digits and _); give the variable's name, not its value"},
		{checkOptions{URL: url, Checks: []string{"http_2xx", "http_2xx"}}, `--checks: check "http_2xx" listed twice`},
		{checkOptions{URL: url, Kind: "ocs", Checks: []string{"dhis2_ping"}}, "--checks: check dhis2_ping does not apply to kind ocs"},
		{checkOptions{URL: "dhis2.example.org"}, "--url: has no scheme; start it with https:// (or http://)"},
		{checkOptions{URL: "http://u:p@example.org"}, "--url: credentials in the URL are not allowed; use auth"},
		{checkOptions{URL: "http://example.org/?a=b"}, "--url: must not have a query or fragment"},
		{checkOptions{URL: "http://[::1"}, "--url: is not a valid URL"},
		{checkOptions{Checks: []string{"dhis2_pong"}},
			`--checks: unknown check "dhis2_pong"; known checks are chapkit_health, dhis2_chap_climate_app, dhis2_chap_modeling_app, dhis2_chap_ping, dhis2_chap_ready, dhis2_chap_route, dhis2_chap_system_info, dhis2_ping, dhis2_system_info, http_2xx, ocs_health, ocs_info`},
		{checkOptions{Timeout: time.Second}, "--token-env, --username, --password-env, --timeout and --kind go with --url"},
		{checkOptions{URL: url, Targets: []string{"demo"}}, "give either --url or target names from the configuration file, not both"},
		{checkOptions{ConfigFile: "/nonexistent/chap.yml"}, "/nonexistent/chap.yml: cannot read config file: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			opts := tt.opts
			opts.Stdout, opts.Stderr = &stdout, &stderr
			if code := runCheck(t.Context(), opts); code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
			if got, want := stderr.String(), "chap_exporter check: "+tt.want+"\n"; got != want {
				t.Errorf("stderr\n%q\nwant\n%q", got, want)
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout should be empty:\n%s", stdout.String())
			}
		})
	}
}
