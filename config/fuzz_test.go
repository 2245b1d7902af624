package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dhis2-chap/chap_exporter/config"
)

// FuzzParse feeds arbitrary bytes to the configuration parser. Seeds: the
// committed corpus in testdata/fuzz/FuzzParse and every test file. Whatever
// the input, Parse must not panic, errors must be one located line, and a
// configuration it accepts must print.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/valid/*.yml", "testdata/invalid/*.yml"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Setenv("CHAP_TEST_TOKEN", "d2pat_env-canary-secret")
	f.Fuzz(func(t *testing.T, content []byte) {
		// The directory does not exist, so relative secret and CA files
		// resolve to nothing and the parser cannot be led to read much.
		cfg, err := config.Parse(content, "fuzz-missing-dir/chap.yml", knownChecks)
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "fuzz-missing-dir/chap.yml") || strings.Contains(msg, "\n") {
				t.Errorf("error is not one line naming the file: %q", msg)
			}
			if strings.Contains(msg, "d2pat_env-canary-secret") {
				t.Errorf("error shows a secret: %q", msg)
			}
			return
		}
		if len(cfg.Names()) != len(cfg.Targets) || len(cfg.Targets) == 0 {
			t.Errorf("accepted a config with %d names for %d targets", len(cfg.Names()), len(cfg.Targets))
		}
		if out := cfg.String(); strings.Contains(out, "d2pat_env-canary-secret") {
			t.Errorf("printed config shows a secret:\n%s", out)
		}
	})
}

// TestTypeErrorsNeverEchoMultilineValues: a value in the wrong place may be
// a misplaced secret; spanning lines must not get it echoed (found by FuzzParse).
func TestTypeErrorsNeverEchoMultilineValues(t *testing.T) {
	content := "targets:\n  prod:\n    url: http://dhis2.example.org\n    checks: \"pw\\n42\"\n"
	_, err := config.Parse([]byte(content), "chap.yml", knownChecks)
	want := `chap.yml:4: target "prod": checks: wrong type: a string where a list was expected`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
