package report_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/report"
)

// TestRunCheckFlagErrorsExactly pins the whole stderr line of each mistake
// in the ad hoc flags: the flag named, the wording of the file's rule, exit 2.
func TestRunCheckFlagErrorsExactly(t *testing.T) {
	const url = "http://127.0.0.1:1"
	t.Setenv("REPORT_SET", "x")
	tests := []struct {
		opts report.CheckOptions
		want string
	}{
		{report.CheckOptions{URL: url, Timeout: 1500 * time.Millisecond}, "--timeout: invalid duration (want e.g. 10s, 1m30s)"},
		{report.CheckOptions{URL: url, Timeout: -5 * time.Second}, "--timeout: invalid duration (want e.g. 10s, 1m30s)"},
		{report.CheckOptions{URL: url, Timeout: time.Microsecond}, "--timeout: invalid duration (want e.g. 10s, 1m30s)"},
		{report.CheckOptions{URL: url, Timeout: 10*time.Minute + 500*time.Millisecond}, "--timeout: invalid duration (want e.g. 10s, 1m30s)"},
		{report.CheckOptions{URL: url, Timeout: 10 * time.Minute}, "--timeout: must be at most 5m"},
		{report.CheckOptions{URL: url, Kind: "foo"}, `--kind: unknown kind "foo" (want one of dhis2, ocs, chapkit)`},
		{report.CheckOptions{URL: url, Kind: "chapkit", Username: "u", PasswordEnv: "REPORT_SET"},
			"--username/--token-env: a chapkit target takes no credentials: chapkit health endpoints are unauthenticated by convention, and a DHIS2 token means nothing to a chapkit service"},
		{report.CheckOptions{URL: url, PasswordEnv: "REPORT_SET"}, "--username/--token-env: a password needs a username"},
		{report.CheckOptions{URL: url, Username: "u", TokenEnv: "REPORT_SET"},
			"--username/--token-env: choose one of token (token, token_env, token_file) or username with a password, not both"},
		{report.CheckOptions{URL: url, Username: "u", PasswordEnv: "REPORT_UNSET"}, "--password-env: environment variable REPORT_UNSET is not set"},
		{report.CheckOptions{URL: url, Username: "u", PasswordEnv: "1x"},
			"--password-env: is not an environment variable name (letters, digits and _); give the variable's name, not its value"},
		{report.CheckOptions{URL: url, Checks: []string{"http_2xx", "http_2xx"}}, `--checks: check "http_2xx" listed twice`},
		{report.CheckOptions{URL: url, Kind: "ocs", Checks: []string{"dhis2_ping"}}, "--checks: check dhis2_ping does not apply to kind ocs"},
		{report.CheckOptions{URL: "dhis2.example.org"}, "--url: has no scheme; start it with https:// (or http://)"},
		{report.CheckOptions{URL: "http://u:p@example.org"}, "--url: credentials in the URL are not allowed; use auth"},
		{report.CheckOptions{URL: "http://example.org/?a=b"}, "--url: must not have a query or fragment"},
		{report.CheckOptions{URL: "http://[::1"}, "--url: is not a valid URL"},
		{report.CheckOptions{Checks: []string{"dhis2_pong"}},
			`--checks: unknown check "dhis2_pong"; known checks are chapkit_health, dhis2_chap_climate_app, dhis2_chap_modeling_app, dhis2_chap_ping, dhis2_chap_ready, dhis2_chap_route, dhis2_chap_system_info, dhis2_ping, dhis2_system_info, http_2xx, ocs_health, ocs_info`},
		{report.CheckOptions{Timeout: time.Second}, "--token-env, --username, --password-env, --timeout and --kind go with --url"},
		{report.CheckOptions{URL: url, Targets: []string{"demo"}}, "give either --url or target names from the configuration file, not both"},
		{report.CheckOptions{ConfigFile: "/nonexistent/chap.yml"}, "/nonexistent/chap.yml: cannot read config file: open /nonexistent/chap.yml: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			opts := tt.opts
			opts.Stdout, opts.Stderr = &stdout, &stderr
			if code := report.RunCheck(t.Context(), opts); code != 2 {
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
