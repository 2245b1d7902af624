package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// RequireToolsEnv names the environment variable that turns a missing tool
// from a skip into a failure. The Makefile's test targets (and so CI) set it
// to 1, so that where the results count nothing is silently skipped.
const RequireToolsEnv = "CHAP_EXPORTER_REQUIRE_TOOLS"

// RequireTool returns the path of the executable name on PATH. When it is
// missing, a plain `go test` skips the test with a message naming the tool
// and how to install it; with RequireToolsEnv set (make test, CI) the test
// fails instead.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		unmet(t, fmt.Sprintf("%s not found on PATH: `make tools` (scripts/ensure-tools.sh) installs it", name))
	}
	return path
}

// RequireRoot is RequireTool for a test that needs root (a chroot, say);
// why says what for.
func RequireRoot(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		unmet(t, fmt.Sprintf("needs root (%s), as make test runs in CI", why))
	}
}

// unmet skips the test, or fails it when RequireToolsEnv asks for every
// tool test to run.
func unmet(t testing.TB, reason string) {
	t.Helper()
	required, err := requireTools()
	if err != nil {
		t.Fatalf("%s; and %v", reason, err)
	}
	if required {
		t.Fatalf("%s (%s=1: make test runs every tool test)", reason, RequireToolsEnv)
	}
	t.Skipf("%s; skipped under plain go test (make test sets %s=1 and fails instead)", reason, RequireToolsEnv)
}

// requireTools reads RequireToolsEnv: unset or empty is false, anything else
// must be a boolean, so that a typo never skips quietly.
func requireTools() (bool, error) {
	v := os.Getenv(RequireToolsEnv)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q is not a boolean (want 1 or 0)", RequireToolsEnv, v)
	}
	return b, nil
}
