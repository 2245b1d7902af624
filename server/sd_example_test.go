package server_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestServiceDiscoveryExampleIsValid runs the real promtool on the example
// Prometheus configuration that uses /sd.
func TestServiceDiscoveryExampleIsValid(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool is not installed; run scripts/ensure-tools.sh (as root it installs Debian's prometheus package)")
	}
	out, err := exec.CommandContext(t.Context(), promtool, "check", "config", "../examples/prometheus/prometheus-sd.yml").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SUCCESS") {
		t.Errorf("promtool check config: %v\n%s", err, out)
	}
}
