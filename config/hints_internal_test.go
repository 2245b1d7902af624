package config

import (
	"os"
	"path/filepath"
	"testing"
)

// TestIndentProblemQuietOnValidFiles: the indentation diagnosis only runs
// after the YAML library failed, but it must not blame a well-formed file.
func TestIndentProblemQuietOnValidFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/valid/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no valid files: %v", err)
	}
	contents := map[string][]byte{"example.yml": []byte(Example)}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		contents[f] = b
	}
	contents["block scalar and list items"] = []byte("targets:\n  prod:\n    url: https://x.org\n    display_name: >-\n      a long\n        name\n    custom_checks:\n    - name: a\n      path: /x\n    -   name: b\n        path: /y\n    labels:\n      k: v # a comment: with a colon\n")
	for name, content := range contents {
		if line, _, msg := indentProblem(content); line != 0 {
			t.Errorf("%s:%d: %s", name, line, msg)
		}
	}
}

func TestSuggest(t *testing.T) {
	known := func(s string) bool { return s == "dhis2_ping" || s == "timeout" }
	tests := []struct{ in, want string }{
		{"dhis2_pnig", "dhis2_ping"}, // swapped
		{"dhis2_pin", "dhis2_ping"},  // missing
		{"dhis2_pingg", "dhis2_ping"},
		{"dhis2-ping", "dhis2_ping"}, // wrong
		{"timout", "timeout"},
		{"dhis2_ping", ""}, // itself is not a suggestion
		{"tmot", ""},       // two typos away
		{"", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.in, known); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
