package chapexporter

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestFallbackVersion(t *testing.T) {
	file := strings.TrimSpace(versionFile)
	tests := []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want string
	}{
		{"go install module@version", &debug.BuildInfo{Main: debug.Module{Version: "v0.2.0"}}, true, "0.2.0"},
		{"go install module@commit", &debug.BuildInfo{Main: debug.Module{Version: "v0.2.1-0.20261130120000-0123456789ab"}}, true, "0.2.1-0.20261130120000-0123456789ab"},
		{"checkout without VCS stamping", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true, file},
		{"no module version", &debug.BuildInfo{}, true, file},
		{"no build information", nil, false, file},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fallbackVersion(tt.info, tt.ok); got != tt.want {
				t.Errorf("fallbackVersion() = %q, want %q", got, tt.want)
			}
		})
	}
	if file == "" || strings.ContainsAny(file, " \n") {
		t.Errorf("VERSION = %q, want one version", file)
	}
}

// TestGoInstallReportsVersion builds the exporter the way `go install ./cmd/...` does,
// without the Makefile's -ldflags, and checks that --version names the version.
func TestGoInstallReportsVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "chap_exporter")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/chap_exporter").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("--version: %v\n%s", err, out)
	}
	data, err := os.ReadFile("VERSION")
	if err != nil {
		t.Fatal(err)
	}
	want := "chap_exporter, version " + strings.TrimSpace(string(data)) + " "
	if !strings.HasPrefix(string(out), want) {
		t.Errorf("--version = %q, want it to start with %q", out, want)
	}
}
