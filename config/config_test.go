package config_test

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/config"
)

// knownChecks stands in for the prober's registry, which config must not import.
func knownChecks(name string) []config.Kind {
	switch name {
	case "http_2xx":
		return config.Kinds
	case "dhis2_ping", "dhis2_system_info", "dhis2_chap_system_info":
		return []config.Kind{config.KindDHIS2}
	case "ocs_health", "ocs_info":
		return []config.Kind{config.KindOCS}
	case "chapkit_health":
		return []config.Kind{config.KindChapkit}
	}
	return nil
}

func setEnv(t *testing.T) {
	t.Setenv("CHAP_TEST_TOKEN", "d2pat_env-canary-secret")
	t.Setenv("CHAP_TEST_PASSWORD", "env-canary-password")
	t.Setenv("CHAP_TEST_EMPTY", "  ")
	os.Unsetenv("CHAP_TEST_UNSET")
}

func TestLoadRejectsInvalidFiles(t *testing.T) {
	setEnv(t)
	tests := []struct {
		file string
		want string
	}{
		{"unknown-key", `testdata/invalid/unknown-key.yml:5: target "prod": unknown key "tokn_env" under auth; did you mean "token_env"?`},
		{"key-typo", `testdata/invalid/key-typo.yml:4: target "prod": unknown key "timout" directly under a target's name; did you mean "timeout"?`},
		{"check-typo", `testdata/invalid/check-typo.yml:4: target "prod": checks: unknown check "dhis2_system_ifno"; did you mean "dhis2_system_info"?`},
		{"key-in-wrong-place", `testdata/invalid/key-in-wrong-place.yml:6: target "prod": unknown key "timeout" under auth; it goes directly under a target's name`},
		{"target-key-at-top-level", `testdata/invalid/target-key-at-top-level.yml:4: unknown key "url" at the top level; it goes directly under a target's name`},
		{"target-key-as-target-name", `testdata/invalid/target-key-as-target-name.yml:4: "url" is indented like a target name; it goes directly under a target's name`},
		// The YAML library blames line 4, the line after the fault.
		{"misindented-url", `testdata/invalid/misindented-url.yml:3: target "prod": "url" is indented by 3 spaces; this file indents in steps of 2`},
		{"indented-under-value", `testdata/invalid/indented-under-value.yml:5: target "prod": "checks" is indented deeper than "timeout" on line 4, which already has a value; line them up`},
		// The YAML library blames line 10.
		{"tab", `testdata/invalid/tab.yml:11: target "prod": a tab in the indentation; YAML indents with spaces only`},
		{"duration-without-unit", `testdata/invalid/duration-without-unit.yml:4: target "prod": timeout: a number needs a unit (e.g. 10s, 1m30s)`},
		{"url-without-scheme", `testdata/invalid/url-without-scheme.yml:3: target "prod": url: has no scheme; start it with https:// (or http://)`},
		{"port-out-of-range", `testdata/invalid/port-out-of-range.yml:3: target "prod": url: port 99999 is out of range (1-65535)`},
		{"bad-duration", `testdata/invalid/bad-duration.yml:4: target "prod": timeout: invalid duration (want e.g. 10s, 1m30s)`},
		{"negative-timeout", `testdata/invalid/negative-timeout.yml:4: target "prod": timeout: invalid duration (want e.g. 10s, 1m30s)`},
		{"timeout-too-long", `testdata/invalid/timeout-too-long.yml:4: target "prod": timeout: must be at most 5m`},
		{"two-auth-modes", `testdata/invalid/two-auth-modes.yml:4: target "prod": auth: choose one of token (token, token_env, token_file) or username with a password, not both`},
		{"missing-env", `testdata/invalid/missing-env.yml:5: target "prod": auth.token_env: environment variable CHAP_TEST_UNSET is not set`},
		{"empty-env", `testdata/invalid/empty-env.yml:5: target "prod": auth.token_env: environment variable CHAP_TEST_EMPTY is empty`},
		{"unreadable-secret-file", `testdata/invalid/unreadable-secret-file.yml:6: target "prod": auth.password_file: cannot read password file testdata/invalid/does-not-exist.txt: no such file or directory`},
		{"username-without-password", `testdata/invalid/username-without-password.yml:4: target "prod": auth: username "ops" needs password_env, password_file or password`},
		{"password-without-username", `testdata/invalid/password-without-username.yml:4: target "prod": auth: a password needs a username`},
		{"two-token-sources", `testdata/invalid/two-token-sources.yml:4: target "prod": auth: give the token once: token, token_env or token_file`},
		{"credentials-in-url", `testdata/invalid/credentials-in-url.yml:3: target "prod": url: credentials in the URL are not allowed; use auth`},
		{"missing-url", `testdata/invalid/missing-url.yml:2: target "prod": url: is required`},
		{"bad-scheme", `testdata/invalid/bad-scheme.yml:3: target "prod": url: scheme must be http or https, not "ftp"`},
		{"url-with-query", `testdata/invalid/url-with-query.yml:3: target "prod": url: must not have a query or fragment`},
		{"unknown-check", `testdata/invalid/unknown-check.yml:4: target "prod": checks: unknown check "dhis2_pong"; did you mean "dhis2_ping"?`},
		{"duplicate-check", `testdata/invalid/duplicate-check.yml:4: target "prod": checks: check "dhis2_ping" listed twice`},
		{"bad-target-name", `testdata/invalid/bad-target-name.yml:2: target "prod/eu": target name must match ^[A-Za-z0-9_.-]+$`},
		{"bad-route-code", `testdata/invalid/bad-route-code.yml:4: target "prod": route_code: "chap/x" must match ^[A-Za-z0-9_-]+$`},
		{"no-targets", `testdata/invalid/no-targets.yml:1: targets: at least one target is required`},
		{"empty", `testdata/invalid/empty.yml: config file is empty; it needs a targets: section`},
		{"checks-not-a-list", `testdata/invalid/checks-not-a-list.yml:4: target "prod": checks: wrong type: a string where a list was expected`},
		{"duplicate-target", `testdata/invalid/duplicate-target.yml:4: target "prod": mapping key "prod" already defined at line 2`},
		{"missing-ca-file", `testdata/invalid/missing-ca-file.yml:5: target "prod": tls_config.ca_file: cannot read testdata/invalid/missing-ca.pem: no such file or directory`},
		{"second-target-bad", `testdata/invalid/second-target-bad.yml:7: target "bad": auth.token_env: environment variable CHAP_TEST_UNSET is not set`},
		{"unknown-top-level", `testdata/invalid/unknown-top-level.yml:4: unknown key "global" at the top level`},
		{"unknown-kind", `testdata/invalid/unknown-kind.yml:3: target "prod": kind: unknown kind "dhis3" (want one of dhis2, ocs, chapkit)`},
		{"display-name-not-printable", `testdata/invalid/display-name-not-printable.yml:3: target "prod": display_name: must be printable text on one line`},
		{"long-display-name", `testdata/invalid/long-display-name.yml:3: target "prod": display_name: is longer than 120 bytes`},
		{"target-null", `testdata/invalid/target-null.yml:2: target "prod": target has no settings; it needs at least url`},
		{"ui-unknown-theme", `testdata/invalid/ui-unknown-theme.yml:3: ui.theme: unknown theme "neon" (want one of auto, light, dark, dhis2)`},
		{"ui-bad-group-by", `testdata/invalid/ui-bad-group-by.yml:5: ui.group_by: "country-code" is not a label name (want ^[a-zA-Z_][a-zA-Z0-9_]*$)`},
		{"ui-refresh-too-fast", `testdata/invalid/ui-refresh-too-fast.yml:5: ui.refresh_interval: must be 0 (off) or at least 5s`},
		{"ui-unknown-key", `testdata/invalid/ui-unknown-key.yml:5: unknown key "titel" under ui; did you mean "title"?`},
		{"ui-title-not-printable", `testdata/invalid/ui-title-not-printable.yml:5: ui.title: must be printable text on one line`},
		{"ocs-credentials", `testdata/invalid/ocs-credentials.yml:5: target "climate": auth: an ocs target takes no credentials: Open Climate Service endpoints are public`},
		{"chapkit-credentials", `testdata/invalid/chapkit-credentials.yml:5: target "ewars": auth: a chapkit target takes no credentials: chapkit health endpoints are unauthenticated by convention, and a DHIS2 token means nothing to a chapkit service`},
		{"check-of-another-kind", `testdata/invalid/check-of-another-kind.yml:5: target "climate": checks: check dhis2_ping does not apply to kind ocs`},
		{"ocs-check-on-dhis2", `testdata/invalid/ocs-check-on-dhis2.yml:4: target "prod": checks: check ocs_health does not apply to kind dhis2`},
		{"route-code-on-ocs", `testdata/invalid/route-code-on-ocs.yml:5: target "climate": route_code: applies only to kind dhis2, not ocs`},
		{"app-hub-id-on-chapkit", `testdata/invalid/app-hub-id-on-chapkit.yml:5: target "ewars": modeling_app_hub_id: applies only to kind dhis2, not chapkit`},
		{"climate-app-on-ocs", `testdata/invalid/climate-app-on-ocs.yml:5: target "climate": climate_app_hub_id: applies only to kind dhis2, not ocs`},
		{"custom-route-on-ocs", `testdata/invalid/custom-route-on-ocs.yml:8: target "climate": custom_checks[0].route: route: true runs through DHIS2's chap route and needs kind dhis2, not ocs`},
		{"custom-requires-other-kind", `testdata/invalid/custom-requires-other-kind.yml:8: target "ewars": custom_checks[0].requires: check "models" requires dhis2_ping, which does not apply to kind chapkit`},
		{"health-path-on-dhis2", `testdata/invalid/health-path-on-dhis2.yml:4: target "prod": health_path: applies only to kind chapkit, not dhis2`},
		{"explicit-tag", `testdata/invalid/explicit-tag.yml:7: target "prod": auth.token: a value tagged !!int is not a number: remove the tag or fix the value`},
		// prometheus/common refuses these while decoding, without a line, quoting the value.
		{"bad-proxy-url", `testdata/invalid/bad-proxy-url.yml:4: target "prod": proxy_url: is not a valid URL`},
		{"bad-tls-version", `testdata/invalid/bad-tls-version.yml:5: target "prod": tls_config.min_version: unknown TLS version (want one of TLS10, TLS11, TLS12, TLS13)`},
		{"bad-health-path", `testdata/invalid/bad-health-path.yml:5: target "ewars": health_path: "health?x=1" must be a path like /health: start with / and have no query or fragment`},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			seen[tt.file+".yml"] = true
			_, err := config.Load(filepath.Join("testdata", "invalid", tt.file+".yml"), knownChecks)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			got := err.Error()
			if got != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", got, tt.want)
			}
			if strings.Contains(got, "\n") {
				t.Errorf("error spans several lines: %q", got)
			}
			var cfgErr *config.Error
			if !errors.As(err, &cfgErr) {
				t.Errorf("error is %T, want *config.Error", err)
			}
		})
	}
	entries, err := os.ReadDir(filepath.Join("testdata", "invalid"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !seen[e.Name()] {
			t.Errorf("testdata/invalid/%s has no test case", e.Name())
		}
	}
}

func TestLoadErrorsNeverShowSecrets(t *testing.T) {
	setEnv(t)
	tests := []struct {
		name, content, canary string
	}{
		{"a password in the URL", "targets:\n  prod:\n    url: https://ops:url-canary@dhis2.example.org\n", "url-canary"},
		{"a secret pasted where a list belongs", "targets:\n  prod:\n    url: https://dhis2.example.org\n    checks: d2pat_list-canary\n", "list-canary"},
		// The YAML library quotes a value whose explicit tag it does not fit.
		{"a password in a proxy URL that does not parse", "targets:\n  prod:\n    url: https://dhis2.example.org\n    proxy_url: \"http://ops:proxy-canary%zz@proxy.example.org\"\n", "proxy-canary"},
		{"a password in a proxy URL given through an alias", "x: &p \"http://ops:alias-canary%zz@proxy.example.org\"\ntargets:\n  prod:\n    url: https://dhis2.example.org\n    proxy_url: *p\n", "alias-canary"},
		{"a token with a tag it does not fit", "targets:\n  prod:\n    url: https://dhis2.example.org\n    auth:\n      token: !!int \"d2pat_tagged-canary\"\n", "tagged-canary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "chap.yml")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := config.Load(path, knownChecks)
			if err == nil || strings.Contains(err.Error(), tt.canary) {
				t.Fatalf("error = %v, want an error without %q", err, tt.canary)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := config.Load(filepath.Join(t.TempDir(), "nope.yml"), knownChecks)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error = %v, want one wrapping fs.ErrNotExist", err)
	}
}

func TestLoadValidResolvesDefaultsAndSecrets(t *testing.T) {
	setEnv(t)
	cfg, err := config.Load(filepath.Join("testdata", "valid", "full.yml"), knownChecks)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(cfg.Names(), ","), "anonymous,inline,prod,staging"; got != want {
		t.Errorf("Names() = %s, want %s", got, want)
	}
	prod := cfg.Targets["prod"]
	tests := []struct {
		name      string
		got, want any
	}{
		{"prod name", prod.Name, "prod"},
		{"prod kind defaults to dhis2", prod.Kind, config.KindDHIS2},
		{"prod label is its display name", prod.Label(), "Sierra Leone HMIS"},
		{"staging label is its name", cfg.Targets["staging"].Label(), "staging"},
		{"prod timeout", time.Duration(prod.Timeout), 5 * time.Second},
		{"prod route code", prod.RouteCode, "chap2"},
		{"prod auth mode", prod.Auth.Mode(), config.AuthToken},
		{"prod token from env", string(prod.Auth.Credential()), "d2pat_env-canary-secret"},
		{"prod modeling app default", prod.ModelingAppHubID, config.DefaultModelingAppHubID},
		{"prod climate app default", prod.ClimateAppHubID, config.DefaultClimateAppHubID},
		{"staging default timeout", time.Duration(cfg.Targets["staging"].Timeout), config.DefaultTimeout},
		{"staging default route", cfg.Targets["staging"].RouteCode, "chap"},
		{"staging auth mode", cfg.Targets["staging"].Auth.Mode(), config.AuthBasic},
		{"staging password from file, trimmed", string(cfg.Targets["staging"].Auth.Credential()), "file-canary-secret"},
		{"anonymous auth mode", cfg.Targets["anonymous"].Auth.Mode(), config.AuthNone},
		{"inline is discouraged", len(cfg.Warnings), 1},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if !strings.Contains(cfg.Warnings[0], `target "inline": auth.password is inline`) {
		t.Errorf("warning = %q", cfg.Warnings[0])
	}
}

func TestStringHidesSecrets(t *testing.T) {
	setEnv(t)
	cfg, err := config.Load(filepath.Join("testdata", "valid", "full.yml"), knownChecks)
	if err != nil {
		t.Fatal(err)
	}
	out := cfg.String()
	for _, canary := range []string{"inline-canary-secret", "file-canary-secret", "env-canary-secret"} {
		if strings.Contains(out, canary) {
			t.Errorf("config output contains secret %q:\n%s", canary, out)
		}
	}
	for _, want := range []string{"password: <secret>", "token_env: CHAP_TEST_TOKEN", "password_file: password.txt"} {
		if !strings.Contains(out, want) {
			t.Errorf("config output lacks %q:\n%s", want, out)
		}
	}
}

func TestChecksumFollowsSecrets(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "chap.yml")
	secretFile := filepath.Join(dir, "token")
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(path, "targets:\n  prod:\n    url: https://dhis2.example.org\n    auth: {token_file: token}\n")
	write(secretFile, "d2pat_one")
	load := func() [32]byte {
		t.Helper()
		cfg, err := config.Load(path, knownChecks)
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Checksum
	}
	first, again := load(), load()
	if first != again {
		t.Error("checksum changed without any change")
	}
	write(secretFile, "d2pat_two")
	if load() == first {
		t.Error("checksum unchanged after the token file was rotated; a reload would miss the new token")
	}
}

// TestFilesAreRegularBoundedAndNeverBlock: every file a load reads (the
// config, secret files, TLS files) must be a regular file within its size
// cap; a FIFO or a device fails the load at once with the reason, where it
// once hung the load (and every reload after it) or read without end.
func TestFilesAreRegularBoundedAndNeverBlock(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, config.MaxSecretFileBytes+1), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, target, want string
	}{
		{"token file is a FIFO", "auth: {token_file: " + fifo + "}", `auth.token_file: cannot read token file ` + fifo + `: not a regular file (a named pipe)`},
		{"password file is a FIFO", "auth: {username: u, password_file: " + fifo + "}", `auth.password_file: cannot read password file ` + fifo + `: not a regular file (a named pipe)`},
		{"token file is /dev/zero", "auth: {token_file: /dev/zero}", `auth.token_file: cannot read token file /dev/zero: not a regular file (a device)`},
		{"token file too large", "auth: {token_file: " + big + "}", `auth.token_file: cannot read token file ` + big + `: larger than 65536 bytes; is it the right file?`},
		{"token file is a directory", "auth: {token_file: " + dir + "}", `auth.token_file: cannot read token file ` + dir + `: not a regular file (a directory)`},
		{"CA file is a FIFO", "tls_config: {ca_file: " + fifo + "}", `tls_config.ca_file: cannot read ` + fifo + `: not a regular file (a named pipe)`},
		{"CA file is /dev/zero", "tls_config: {ca_file: /dev/zero}", `tls_config.ca_file: cannot read /dev/zero: not a regular file (a device)`},
		{"missing token file says why", "auth: {token_file: " + dir + "/nope}", `auth.token_file: cannot read token file ` + dir + `/nope: no such file or directory`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "chap.yml")
			content := "targets:\n  prod:\n    url: https://dhis2.example.org\n    " + tt.target + "\n"
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			err := loadWithin(t, path)
			if want := path + `:4: target "prod": ` + tt.want; err == nil || err.Error() != want {
				t.Errorf("error = %v\nwant %s", err, want)
			}
		})
	}
	t.Run("config file is a FIFO", func(t *testing.T) {
		if err := loadWithin(t, fifo); err == nil || err.Error() != fifo+": cannot read config file: not a regular file (a named pipe)" {
			t.Errorf("error = %v", err)
		}
	})
}

// loadWithin loads path, failing the test if that takes more than 5s.
func loadWithin(t *testing.T, path string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { _, err := config.Load(path, knownChecks); done <- err }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("loading %s blocked", path)
		return nil
	}
}

// TestLoadNeverAppliesAHalfWrittenFile: a file rewritten in place, slowly,
// over and over, while loads run: every load that succeeds has every
// target, never the part written so far.
func TestLoadNeverAppliesAHalfWrittenFile(t *testing.T) {
	const targets = 200
	var b strings.Builder
	b.WriteString("targets:\n")
	for i := range targets {
		fmt.Fprintf(&b, "  t%03d: {url: https://dhis2.example.org}\n", i)
	}
	content := []byte(b.String())
	lines := strings.SplitAfter(b.String(), "\n")
	path := filepath.Join(t.TempDir(), "chap.yml")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	writerDone := make(chan struct{})
	go func() { // rewrites in place in chunks, as an editor or a careless script does
		defer close(writerDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
			if err != nil {
				t.Error(err)
				return
			}
			for chunk := range slices.Chunk(lines, 20) { // whole lines: every prefix is a valid, shorter config
				_, _ = f.Write([]byte(strings.Join(chunk, "")))
				time.Sleep(2 * time.Millisecond)
			}
			f.Close()
			time.Sleep(time.Duration(rand.IntN(250)) * time.Millisecond)
		}
	}()
	loaded, failed := 0, 0
	for range 40 {
		time.Sleep(time.Duration(rand.IntN(40)) * time.Millisecond)
		cfg, err := config.Load(path, knownChecks)
		switch {
		case err != nil:
			failed++ // the previous configuration stays; acceptable, a partial one is not
		case len(cfg.Targets) != targets:
			t.Errorf("loaded %d of %d targets from a file being written", len(cfg.Targets), targets)
		default:
			loaded++
		}
	}
	close(stop)
	<-writerDone
	t.Logf("%d loads succeeded with every target, %d gave up", loaded, failed)
}

func TestUISection(t *testing.T) {
	const targets = "targets:\n  prod: {url: https://dhis2.example.org, labels: {env: prod}}\n"
	tests := []struct {
		name, ui  string
		want      config.UI
		refresh   time.Duration
		warnGroup bool
	}{
		{"defaults", "", config.UI{Title: "chap_exporter", Theme: config.ThemeAuto}, 30 * time.Second, false},
		{"all keys", "ui: {title: Ministry of Health, group_by: env, theme: dhis2, refresh_interval: 1m}\n",
			config.UI{Title: "Ministry of Health", GroupBy: "env", Theme: config.ThemeDHIS2}, time.Minute, false},
		{"refresh off", "ui: {refresh_interval: 0s}\n", config.UI{Title: "chap_exporter", Theme: config.ThemeAuto}, 0, false},
		{"group by a label no target has", "ui: {group_by: country}\n",
			config.UI{Title: "chap_exporter", GroupBy: "country", Theme: config.ThemeAuto}, 30 * time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte(targets+tt.ui), "chap.yml", knownChecks)
			if err != nil {
				t.Fatal(err)
			}
			got := cfg.UI
			got.RefreshInterval = nil
			if got != tt.want {
				t.Errorf("ui = %+v, want %+v", got, tt.want)
			}
			if r := cfg.UI.Refresh(); r != tt.refresh {
				t.Errorf("refresh = %s, want %s", r, tt.refresh)
			}
			warned := strings.Contains(strings.Join(cfg.Warnings, "\n"), "ui.group_by")
			if warned != tt.warnGroup {
				t.Errorf("warnings = %q, want a group_by warning: %t", cfg.Warnings, tt.warnGroup)
			}
		})
	}
}
