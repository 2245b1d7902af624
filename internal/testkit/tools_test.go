package testkit

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// missingTool is a name no PATH holds.
const missingTool = "chap_exporter-test-missing-tool"

// childEnv marks the test binary's run as TestRequireTool's child.
const childEnv = "TESTKIT_REQUIRE_TOOL_CHILD"

// TestRequireToolMissingChild is what TestRequireTool runs in a child
// process: a test whose tool is missing.
func TestRequireToolMissingChild(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("run as a child process by TestRequireTool")
	}
	RequireTool(t, missingTool)
	t.Log("RequireTool returned for a missing tool")
}

// TestRequireTool runs a test whose tool is missing in a child process (a
// skip or a failure ends a test, so it cannot be watched from inside), in
// each mode of RequireToolsEnv.
func TestRequireTool(t *testing.T) {
	tests := []struct {
		env      string
		wantFail bool
		want     []string
	}{
		{"", false, []string{"--- SKIP: TestRequireToolMissingChild",
			missingTool + " not found on PATH: `make tools` (scripts/ensure-tools.sh) installs it; skipped under plain go test"}},
		{"0", false, []string{"--- SKIP: TestRequireToolMissingChild"}},
		{"1", true, []string{"--- FAIL: TestRequireToolMissingChild",
			missingTool + " not found on PATH: `make tools` (scripts/ensure-tools.sh) installs it (CHAP_EXPORTER_REQUIRE_TOOLS=1: make test runs every tool test)"}},
		{"yes please", true, []string{"--- FAIL: TestRequireToolMissingChild", `CHAP_EXPORTER_REQUIRE_TOOLS="yes please" is not a boolean (want 1 or 0)`}},
	}
	for _, tt := range tests {
		t.Run(RequireToolsEnv+"="+tt.env, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestRequireToolMissingChild$", "-test.v")
			cmd.Env = append(os.Environ(), childEnv+"=1", RequireToolsEnv+"="+tt.env)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if failed := errors.As(err, &exit); failed != tt.wantFail || (err != nil && !failed) {
				t.Errorf("child test: %v, want failure %v\n%s", err, tt.wantFail, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("child output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(string(out), "RequireTool returned") {
				t.Errorf("the child test went on after RequireTool:\n%s", out)
			}
		})
	}
}

func TestRequireToolFindsTool(t *testing.T) {
	dir := t.TempDir()
	tool := filepath.Join(dir, "some-tool")
	if err := os.WriteFile(tool, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	t.Setenv(RequireToolsEnv, "1")
	if got := RequireTool(t, "some-tool"); got != tool {
		t.Errorf("RequireTool(some-tool) = %q, want %q", got, tool)
	}
}
