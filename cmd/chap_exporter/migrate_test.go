package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
