package chapexporter

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dhis2-chap/chap_exporter/internal/testkit"
)

const systemdUnit = "examples/systemd/chap_exporter.service"

// documentedExposure is the `systemd-analyze security` exposure level the unit file
// and the README state.
const documentedExposure = "1.1"

// buildExporter builds the exporter into dir and returns its path.
func buildExporter(t *testing.T, dir string, env ...string) string {
	t.Helper()
	bin := filepath.Join(dir, "chap_exporter")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/chap_exporter")
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestSystemdUnitVerifies runs `systemd-analyze verify` on the unit, with ExecStart
// pointing at a freshly built binary (verify checks that the command exists).
// Any output (a warning about a misspelt setting, a missing binary) fails the test.
func TestSystemdUnitVerifies(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	systemdAnalyze := testkit.RequireTool(t, "systemd-analyze")
	dir := t.TempDir()
	bin := buildExporter(t, dir)
	unit, err := os.ReadFile(systemdUnit)
	if err != nil {
		t.Fatal(err)
	}
	const installed = "ExecStart=/usr/local/bin/chap_exporter "
	if n := strings.Count(string(unit), installed); n != 1 {
		t.Fatalf("%s: %q occurs %d times, want 1", systemdUnit, installed, n)
	}
	copyPath := filepath.Join(dir, "chap_exporter.service")
	if err := os.WriteFile(copyPath, []byte(strings.Replace(string(unit), installed, "ExecStart="+bin+" ", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(systemdAnalyze, "verify", copyPath).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

var exposureLine = regexp.MustCompile(`Overall exposure level for chap_exporter\.service: (\d+\.\d+) `)

// TestSystemdUnitExposure checks the sandboxing with `systemd-analyze security
// --offline=true` and that the unit and the README state the score it gets.
func TestSystemdUnitExposure(t *testing.T) {
	systemdAnalyze := testkit.RequireTool(t, "systemd-analyze")
	out, err := exec.Command(systemdAnalyze, "security", "--offline=true", "--no-pager", systemdUnit).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := exposureLine.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	score, _ := strconv.ParseFloat(m[1], 64)
	want, _ := strconv.ParseFloat(documentedExposure, 64)
	if score > want {
		t.Errorf("exposure level %s, want at most %s; findings:\n%s", m[1], documentedExposure, failedChecks(string(out)))
	}
	if m[1] != documentedExposure {
		t.Errorf("exposure level is %s, but the unit and README state %s: update them", m[1], documentedExposure)
	}
	unit, _ := os.ReadFile(systemdUnit)
	readme, _ := os.ReadFile("README.md")
	for name, text := range map[string]string{systemdUnit: string(unit), "README.md": string(readme)} {
		if !strings.Contains(text, "rates it "+documentedExposure+" OK") {
			t.Errorf("%s does not state the exposure level (\"rates it %s OK\")", name, documentedExposure)
		}
	}
}

func failedChecks(out string) string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "✗") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// TestSystemdUnitSettings checks the settings an operator relies on: reload by SIGHUP,
// secrets from a root-only environment file, a dynamic unprivileged user.
func TestSystemdUnitSettings(t *testing.T) {
	data, err := os.ReadFile(systemdUnit)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string][]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "[") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf("%s: not a setting: %q", systemdUnit, line)
			continue
		}
		settings[k] = append(settings[k], v)
	}
	for key, want := range map[string]string{
		"ExecReload":      "/bin/kill -HUP $MAINPID",
		"EnvironmentFile": "/etc/chap_exporter/chap_exporter.env",
		"DynamicUser":     "yes",
		"NoNewPrivileges": "yes",
		"ProtectSystem":   "strict",
		"ProtectHome":     "yes",
		"PrivateTmp":      "yes",
	} {
		if got := settings[key]; len(got) != 1 || got[0] != want {
			t.Errorf("%s=%v, want %s", key, got, want)
		}
	}
	if got := settings["ExecStart"]; len(got) != 1 || !strings.Contains(got[0], "--config.file=/etc/chap_exporter/chap.yml") {
		t.Errorf("ExecStart=%v, want --config.file=/etc/chap_exporter/chap.yml", got)
	}
}
