package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/config"
)

// TestAdHocIsTheFilesTarget: a valid ad hoc target becomes the target the
// equivalent file would give, defaults and resolved credentials included,
// named after the URL's host.
func TestAdHocIsTheFilesTarget(t *testing.T) {
	setEnv(t)
	tests := []struct {
		name  string
		adHoc config.AdHocTarget
		file  string // the same target in a configuration file
	}{
		{"dhis2", config.AdHocTarget{URL: "https://play.dhis2.org/dev", TokenEnv: "CHAP_TEST_TOKEN"},
			"targets:\n  play.dhis2.org:\n    url: https://play.dhis2.org/dev\n    auth: {token_env: CHAP_TEST_TOKEN}\n"},
		{"basic auth, timeout, checks", config.AdHocTarget{URL: "http://127.0.0.1:8080", Username: "admin", PasswordEnv: "CHAP_TEST_PASSWORD",
			Timeout: 500 * time.Millisecond, Checks: []string{"dhis2_ping"}},
			"targets:\n  127.0.0.1:\n    url: http://127.0.0.1:8080\n    auth: {username: admin, password_env: CHAP_TEST_PASSWORD}\n    timeout: 500ms\n    checks: [dhis2_ping]\n"},
		{"ocs, host no target name", config.AdHocTarget{URL: "http://[::1]:8000", Kind: config.KindOCS, Timeout: time.Minute},
			"targets:\n  adhoc:\n    url: http://[::1]:8000\n    kind: ocs\n    timeout: 1m\n"},
		{"chapkit", config.AdHocTarget{URL: "http://model.local", Kind: config.KindChapkit},
			"targets:\n  model.local:\n    url: http://model.local\n    kind: chapkit\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := config.AdHoc(tt.adHoc, knownChecks)
			if err != nil {
				t.Fatal(err)
			}
			want, err := config.Parse([]byte(tt.file), "chap.yml", knownChecks)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Targets) != 1 || got.String() != want.String() {
				t.Errorf("ad hoc:\n%s\nfile:\n%s", got, want)
			}
			for name, w := range want.Targets {
				g := got.Targets[name]
				if g == nil || g.Auth.Mode() != w.Auth.Mode() || g.Auth.Credential() != w.Auth.Credential() {
					t.Errorf("target %q: ad hoc auth differs from the file's", name)
				}
			}
		})
	}
}

// TestAdHocErrorsNameFlags: the file's rule and wording, with the flag at
// fault where a file names the key, and never the secret.
func TestAdHocErrorsNameFlags(t *testing.T) {
	setEnv(t)
	const url = "https://dhis2.example.org"
	tests := []struct {
		adHoc config.AdHocTarget
		want  string
	}{
		{config.AdHocTarget{}, "--url: is required"},
		{config.AdHocTarget{URL: "ftp://x"}, `--url: scheme must be http or https, not "ftp"`},
		{config.AdHocTarget{URL: url, Kind: "dhis3"}, `--kind: unknown kind "dhis3" (want one of dhis2, ocs, chapkit)`},
		{config.AdHocTarget{URL: url, Timeout: 1500 * time.Millisecond}, "--timeout: invalid duration (want e.g. 10s, 1m30s)"},
		{config.AdHocTarget{URL: url, Timeout: -time.Second}, "--timeout: invalid duration (want e.g. 10s, 1m30s)"},
		{config.AdHocTarget{URL: url, Timeout: time.Hour}, "--timeout: must be at most 5m"},
		{config.AdHocTarget{URL: url, Checks: []string{"ocs_info"}}, "--checks: check ocs_info does not apply to kind dhis2"},
		{config.AdHocTarget{URL: url, Checks: []string{"dhis2_ping", "dhis2_ping"}}, `--checks: check "dhis2_ping" listed twice`},
		{config.AdHocTarget{URL: url, TokenEnv: "CHAP_TEST_UNSET"}, "--token-env: environment variable CHAP_TEST_UNSET is not set"},
		{config.AdHocTarget{URL: url, TokenEnv: "CHAP_TEST_EMPTY"}, "--token-env: environment variable CHAP_TEST_EMPTY is empty"},
		{config.AdHocTarget{URL: url, TokenEnv: "d2pat_pastedTokenInsteadOfName1234"},
			"--token-env: environment variable <name hidden: it looks like a secret, not a variable name> is not set"},
		{config.AdHocTarget{URL: url, Username: "u", PasswordEnv: "d2pat-x/y+z="},
			"--password-env: is not an environment variable name (letters, digits and _); give the variable's name, not its value"},
		{config.AdHocTarget{URL: url, Username: "u"}, `--username/--token-env: username "u" needs password_env, password_file or password`},
		{config.AdHocTarget{URL: url, Kind: config.KindOCS, TokenEnv: "CHAP_TEST_TOKEN"},
			"--username/--token-env: an ocs target takes no credentials: Open Climate Service endpoints are public"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			cfg, err := config.AdHoc(tt.adHoc, knownChecks)
			var fe *config.FlagError
			if cfg != nil || !errors.As(err, &fe) || err.Error() != tt.want {
				t.Fatalf("AdHoc = %v, %v; want a *FlagError %q", cfg, err, tt.want)
			}
			for _, secret := range []string{"d2pat_pastedTokenInsteadOfName1234", "d2pat-x/y+z=", "d2pat_env-canary-secret"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error echoes %q", secret)
				}
			}
		})
	}
}

// TestSelect: the command line narrows a configuration to the targets it
// names, in its order, and --checks replaces their checks under the rules
// of a file's checks: key, naming the flag and the target at fault.
func TestSelect(t *testing.T) {
	const file = "targets:\n  prod: {url: https://dhis2.example.org}\n  climate: {url: https://ocs.example.org, kind: ocs}\n  extra: {url: https://extra.example.org}\n"
	tests := []struct {
		name          string
		names, checks []string
		want          []string // selected names; checks of each when checks are given
		err           string
	}{
		{"all, sorted", nil, nil, []string{"climate", "extra", "prod"}, ""},
		{"the named ones, in their order", []string{"prod", "climate"}, nil, []string{"prod", "climate"}, ""},
		{"checks replace the selection", []string{"prod"}, []string{"dhis2_ping", "http_2xx"}, []string{"prod"}, ""},
		{"unknown target", []string{"prod", "nope"}, nil, nil, `unknown target "nope": configured targets are climate, extra, prod`},
		{"check of another kind", nil, []string{"dhis2_ping"}, nil, `--checks: check dhis2_ping does not apply to kind ocs (target "climate")`},
		{"check listed twice", []string{"prod"}, []string{"http_2xx", "http_2xx"}, nil, `--checks: check "http_2xx" listed twice (target "prod")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte(file), "chap.yml", knownChecks)
			if err != nil {
				t.Fatal(err)
			}
			names, err := cfg.Select(tt.names, tt.checks, knownChecks)
			if tt.err != "" {
				var fe *config.FlagError
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error = %v, want %s", err, tt.err)
				}
				if strings.HasPrefix(tt.err, "--checks") && !errors.As(err, &fe) {
					t.Errorf("error is %T, want *config.FlagError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(names, ",") != strings.Join(tt.want, ",") || len(cfg.Targets) != len(tt.want) {
				t.Fatalf("names = %v, targets = %v, want %v", names, cfg.Names(), tt.want)
			}
			for _, name := range names {
				if got := cfg.Targets[name].Checks; tt.checks != nil && strings.Join(got, ",") != strings.Join(tt.checks, ",") {
					t.Errorf("%s checks = %v, want %v", name, got, tt.checks)
				}
			}
		})
	}
}
