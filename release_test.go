package chapexporter

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// makeRelease returns the platforms and tarball files the Makefile uses.
func makeRelease(t *testing.T) (platforms, files []string) {
	t.Helper()
	out, err := exec.Command("make", "-s", "print-release").CombinedOutput()
	if err != nil {
		t.Fatalf("make print-release: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		key, value, _ := strings.Cut(line, ": ")
		switch key {
		case "platforms":
			platforms = strings.Fields(value)
		case "files":
			files = strings.Fields(value)
		}
	}
	if len(platforms) == 0 || len(files) == 0 {
		t.Fatalf("make print-release printed no platforms or files:\n%s", out)
	}
	return platforms, files
}

// TestPromuMatchesMakefile keeps .promu.yml, for those who build releases with promu,
// in step with make crossbuild and make tarball.
func TestPromuMatchesMakefile(t *testing.T) {
	data, err := os.ReadFile(".promu.yml")
	if err != nil {
		t.Fatal(err)
	}
	var promu struct {
		Build struct {
			Binaries []struct{ Name, Path string }
		}
		Tarball    struct{ Files []string }
		Crossbuild struct{ Platforms []string }
	}
	if err := yaml.Unmarshal(data, &promu); err != nil {
		t.Fatalf(".promu.yml: %v", err)
	}
	platforms, files := makeRelease(t)
	if !slices.Equal(promu.Crossbuild.Platforms, platforms) {
		t.Errorf(".promu.yml crossbuild platforms %v, Makefile CROSSBUILD_PLATFORMS %v", promu.Crossbuild.Platforms, platforms)
	}
	if !slices.Equal(promu.Tarball.Files, files) {
		t.Errorf(".promu.yml tarball files\n  %v\nMakefile TARBALL_FILES\n  %v", promu.Tarball.Files, files)
	}
	if len(promu.Build.Binaries) != 1 || promu.Build.Binaries[0].Name != "chap_exporter" || promu.Build.Binaries[0].Path != "./cmd/chap_exporter" {
		t.Errorf(".promu.yml binaries %+v, want chap_exporter from ./cmd/chap_exporter only (what make tarball ships)", promu.Build.Binaries)
	}
}

// notShipped are paths a release tarball must not contain: tests, test data and the
// Go code that only tests use.
var notShipped = regexp.MustCompile(`(\.go|_test\.ya?ml|/go\.(mod|sum))$|/testdata/|^examples/validate/`)

// TestTarball builds the release tarball for this machine's platform and checks what a
// user unpacks: one directory named after the version and platform, with the binary,
// the licence, the documentation, the alerting bundle and the examples, and nothing
// that only the tests use.
func TestTarball(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a release tarball")
	}
	version, err := os.ReadFile("VERSION")
	if err != nil {
		t.Fatal(err)
	}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	binDir := t.TempDir()
	if out, err := exec.Command("make", "-s", "tarball", "CROSSBUILD_PLATFORMS="+platform, "BIN_DIR="+binDir).CombinedOutput(); err != nil {
		t.Fatalf("make tarball: %v\n%s", err, out)
	}
	top := "chap_exporter-" + strings.TrimSpace(string(version)) + "." + runtime.GOOS + "-" + runtime.GOARCH
	f, err := os.Open(path.Join(binDir, top+".tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*tar.Header{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rel, ok := strings.CutPrefix(strings.TrimSuffix(h.Name, "/"), top+"/")
		if !ok {
			if h.Name != top+"/" {
				t.Errorf("%s is outside the top directory %s/", h.Name, top)
			}
			continue
		}
		got[rel] = h
		if notShipped.MatchString(rel) {
			t.Errorf("tarball ships %s, which only the tests use", rel)
		}
	}
	_, files := makeRelease(t)
	for _, want := range append(files, "chap_exporter") {
		if _, ok := got[want]; !ok {
			t.Errorf("tarball lacks %s", want)
		}
	}
	if h := got["chap_exporter"]; h != nil && h.Mode&0o111 == 0 {
		t.Errorf("chap_exporter in the tarball is not executable: mode %o", h.Mode)
	}
	for _, want := range []string{"LICENSE", "NOTICE", "alerting/rules.yml", "alerting/alertmanager.yml", "examples/grafana/chap-overview.json"} {
		if !slices.Contains(files, want) {
			t.Errorf("TARBALL_FILES lacks %s", want)
		}
	}
}

// changelogHeading is a section of CHANGELOG.md: the unreleased one, or a version with
// its release date.
var changelogHeading = regexp.MustCompile(`^## (master / unreleased|(\d+\.\d+\.\d+) / \d{4}-\d{2}-\d{2})$`)

// TestChangelogSections: CHANGELOG.md starts with "master / unreleased", then dated
// version sections, newest first, the newest being VERSION.
func TestChangelogSections(t *testing.T) {
	data, err := os.ReadFile("CHANGELOG.md")
	if err != nil {
		t.Fatal(err)
	}
	version, err := os.ReadFile("VERSION")
	if err != nil {
		t.Fatal(err)
	}
	var sections []string
	for i, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "## ") {
			continue
		}
		m := changelogHeading.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("CHANGELOG.md:%d: %q is neither \"## master / unreleased\" nor \"## X.Y.Z / YYYY-MM-DD\"", i+1, line)
			continue
		}
		sections = append(sections, m[1])
		if m[2] != "" && len(sections) == 2 && m[2] != strings.TrimSpace(string(version)) {
			t.Errorf("CHANGELOG.md:%d: newest version section %s, VERSION says %s", i+1, m[2], strings.TrimSpace(string(version)))
		}
	}
	if len(sections) < 2 || sections[0] != "master / unreleased" {
		t.Errorf("sections %v: want \"master / unreleased\" first, then dated versions", sections)
	}
}
