package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/migrate"
	"github.com/dhis2-chap/chap_exporter/report"
)

// runBinary runs the binary in dir with env added and returns its exit code
// and output.
func runBinary(t *testing.T, dir string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode(), stdout.String(), stderr.String()
	case err != nil:
		t.Fatal(err)
	}
	return 0, stdout.String(), stderr.String()
}

// TestMigrateThenConfigCheck: the migrated chap.yml of each fixture, with
// the environment variables it names, passes --config.check.
func TestMigrateThenConfigCheck(t *testing.T) {
	env := []string{"PROD_PASS=p", "QUIET_PASS=q", "TOKEN_ENV_PAT=t", "STAGING_PASSWORD=s"}
	for fixture, targets := range map[string]int{"full.toml": 6, "example.toml": 2} {
		t.Run(fixture, func(t *testing.T) {
			from, err := filepath.Abs(filepath.Join("..", "..", "migrate", "testdata", fixture))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			code, stdout, stderr := runBinary(t, dir, nil, "migrate", "--from", from, "--out", "migrated")
			if code != 0 || !strings.Contains(stdout, "wrote migrated/chap.yml") {
				t.Fatalf("migrate: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			code, stdout, stderr = runBinary(t, dir, env, "--config.file=migrated/chap.yml", "--config.check")
			want := fmt.Sprintf("migrated/chap.yml: valid, %d targets\n", targets)
			if code != 0 || stdout != want {
				t.Errorf("--config.check: exit %d, stdout %q (want %q), stderr %s", code, stdout, want, stderr)
			}
		})
	}
}

func TestMigrateDefaultsAndExitCodes(t *testing.T) {
	dir := t.TempDir()
	valid := "[instances.a]\nurl = \"https://a.example.org\"\ntoken_env = \"A\"\n"
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write("chap-checker.toml", valid)
	fromEnv := write("from-env.toml", strings.ReplaceAll(valid, "instances.a", "instances.from-env"))
	write("invalid.toml", "[instances.a]\nurl = 3\n")

	// No flags: ./chap-checker.toml into ./chap_exporter-migrated.
	if code, stdout, stderr := runBinary(t, dir, []string{"CHAP_CHECKER_CONFIG="}, "migrate"); code != 0 ||
		!strings.Contains(stdout, "wrote chap_exporter-migrated/chap.yml") {
		t.Fatalf("defaults: exit %d\n%s%s", code, stdout, stderr)
	}
	// Again: refuses to overwrite, exit 2, one line.
	code, stdout, stderr := runBinary(t, dir, []string{"CHAP_CHECKER_CONFIG="}, "migrate")
	if code != 2 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "already exists; use --force to overwrite") {
		t.Errorf("second run: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// $CHAP_CHECKER_CONFIG comes before ./chap-checker.toml; --force overwrites.
	code, _, stderr = runBinary(t, dir, []string{"CHAP_CHECKER_CONFIG=" + fromEnv}, "migrate", "--force")
	chap, _ := os.ReadFile(filepath.Join(dir, "chap_exporter-migrated", "chap.yml"))
	if code != 0 || !strings.Contains(string(chap), "from-env:") {
		t.Errorf("CHAP_CHECKER_CONFIG with --force: exit %d, stderr %q, chap.yml:\n%s", code, stderr, chap)
	}
	for _, tt := range []struct {
		name, from, want string
	}{
		{"invalid", "invalid.toml", "chap_exporter migrate: invalid.toml:2: instances.a.url: is a TOML integer; want a string\n"},
		{"missing", "nope.toml", "chap_exporter migrate: nope.toml: cannot read: no such file or directory\n"},
	} {
		code, stdout, stderr := runBinary(t, dir, nil, "migrate", "--from", tt.from, "--out", "other")
		if code != 2 || stdout != "" || stderr != tt.want {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 2 and %q", tt.name, code, stdout, stderr, tt.want)
		}
	}
	if code, _, _ := runBinary(t, dir, nil, "migrate", "--no-such-flag"); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
}

// lookupNothing is an environment where no variable is set, so migrate
// carries secrets as written in the TOML file.
func lookupNothing(string) (string, bool) { return "", false }

// TestRoundTripProbesTheSimulator migrates a chap-checker file whose
// instances point at the DHIS2 simulator and runs `chap_exporter check` on
// the result: each target runs the checks its TOML asked for (plus what they
// require) and authenticates the way the TOML said; the ocs instances run
// the OCS checks against the simulator serving an Open Climate Service.
func TestRoundTripProbesTheSimulator(t *testing.T) {
	sim := dhis2sim.New(dhis2sim.Options{})
	plain := httptest.NewServer(sim)
	defer plain.Close()
	tlsSim := httptest.NewUnstartedServer(sim)
	// verified-tls refuses the certificate on purpose; its handshake error is expected.
	tlsSim.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSim.StartTLS()
	defer tlsSim.Close()
	ocs := httptest.NewServer(dhis2sim.New(dhis2sim.Options{Service: dhis2sim.ServiceOCS}))
	defer ocs.Close()

	dir := t.TempDir()
	fixture := filepath.Join(dir, "chap-checker.toml")
	toml := fmt.Sprintf(`concurrency = 2

[instances.inline-password]
name = "Inline password, TLS not verified"
url = %[1]q
username = %[3]q
password = %[4]q
verify_tls = false
timeout_s = 5

[instances.env-password]
url = %[2]q
username = %[3]q
password_env = "RT_PASSWORD"
checks = ["dhis2_system_info"]

[instances.inline-token]
url = %[2]q
token = %[5]q
checks = ["dhis2_chap_system_info"]

[instances.env-token]
url = %[2]q
token_env = "RT_TOKEN"
checks = ["http_2xx", "dhis2_chap_modeling_app"]

[instances.verified-tls]
url = %[1]q
username = %[3]q
password = %[4]q
checks = ["dhis2_ping"]

[instances.ocs-default]
kind = "ocs"
name = "Nepal"
url = %[6]q

[instances.ocs-health]
kind = "ocs"
url = %[6]q
checks = ["ocs_health"]
`, tlsSim.URL, plain.URL, dhis2sim.DefaultUsername, dhis2sim.DefaultPassword, dhis2sim.DefaultToken, ocs.URL)
	if err := os.WriteFile(fixture, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "migrated")
	var stdout, stderr bytes.Buffer
	if code := migrate.Run(migrate.RunOptions{From: fixture, Out: out, LookupEnv: lookupNothing, Stdout: &stdout, Stderr: &stderr}); code != migrate.ExitOK {
		t.Fatalf("migrate: exit %d: %s", code, stderr.String())
	}
	t.Setenv("RT_PASSWORD", dhis2sim.DefaultPassword)
	t.Setenv("RT_TOKEN", dhis2sim.DefaultToken)

	stdout.Reset()
	stderr.Reset()
	code := runCheck(context.Background(), checkOptions{
		ConfigFile: filepath.Join(out, "chap.yml"), JSON: true, UserAgent: "roundtrip-test", Stdout: &stdout, Stderr: &stderr,
	})
	if code != exitNotOK {
		t.Errorf("check exit %d, want %d (verified-tls fails); stderr: %s", code, exitNotOK, stderr.String())
	}
	var doc report.Document
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	got := map[string]string{}
	for _, h := range doc.Targets {
		if want := map[bool]float64{true: 5, false: 10}[h.Target == "inline-password"]; h.TimeoutSeconds != want {
			t.Errorf("%s ran with a %gs budget, want %gs (timeout_s)", h.Target, h.TimeoutSeconds, want)
		}
		var checks []string
		for _, c := range h.Order {
			s := string(h.Checks[c].Status)
			if r := h.Checks[c].Reason; r != "" {
				s += "/" + string(r)
			}
			checks = append(checks, c+"="+s)
		}
		slices.Sort(checks) // checks that do not depend on each other run concurrently
		got[h.Target] = strings.Join(checks, " ")
	}
	want := map[string]string{
		// no checks key: every default check
		"inline-password": "dhis2_chap_climate_app=ok dhis2_chap_modeling_app=ok dhis2_chap_ping=ok dhis2_chap_route=ok " +
			"dhis2_chap_system_info=ok dhis2_ping=ok dhis2_system_info=ok http_2xx=ok",
		"env-password": "dhis2_ping=ok dhis2_system_info=ok",
		"inline-token": "dhis2_chap_ping=ok dhis2_chap_route=ok dhis2_chap_system_info=ok dhis2_ping=ok",
		"env-token":    "dhis2_chap_modeling_app=ok dhis2_chap_route=ok dhis2_ping=ok http_2xx=ok",
		// verify_tls left at true: the simulator's certificate is not trusted
		"verified-tls": "dhis2_ping=fail/tls",
		// kind ocs: the OCS checks, no credentials
		"ocs-default": "http_2xx=ok ocs_health=ok ocs_info=ok",
		"ocs-health":  "ocs_health=ok",
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s:\n got %s\nwant %s", name, got[name], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("targets %v, want %d", got, len(want))
	}
	// Token instances authenticated with the token, password ones with Basic.
	schemes := map[string]bool{}
	for _, r := range sim.Requests() {
		schemes[r.AuthScheme] = true
	}
	for _, s := range []string{"ApiToken", "Basic"} {
		if !schemes[s] {
			t.Errorf("no request authenticated with %s; schemes seen: %v", s, schemes)
		}
	}
}
