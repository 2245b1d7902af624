package server_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/dhis2-chap/chap_exporter/internal/testkit"
)

// TestServiceDiscoveryExampleIsValid runs the real promtool on the example
// Prometheus configuration that uses /sd.
func TestServiceDiscoveryExampleIsValid(t *testing.T) {
	promtool := testkit.RequireTool(t, "promtool")
	out, err := exec.CommandContext(t.Context(), promtool, "check", "config", "../examples/prometheus/prometheus-sd.yml").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SUCCESS") {
		t.Errorf("promtool check config: %v\n%s", err, out)
	}
}
