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

// TestIndentProblem: each way a line's indentation can break the file,
// with the line and target named.
func TestIndentProblem(t *testing.T) {
	tests := []struct {
		name, content string
		line          int
		target, msg   string
	}{
		{"tab", "targets:\n  prod:\n\turl: x\n", 3, "prod", "a tab in the indentation; YAML indents with spaces only"},
		{"off step", "targets:\n  prod:\n     url: x\n", 3, "prod", `"url" is indented by 5 spaces; this file indents in steps of 2`},
		{"under a value", "targets:\n  prod:\n    url: x\n      timeout: 5s\n", 4, "prod", `"timeout" is indented deeper than "url" on line 3, which already has a value; line them up`},
		{"under nothing", "targets:\n  prod:\n      url: x\n    timeout: 5s\n", 4, "prod", `"timeout" is indented by 4 spaces, which lines it up with no key above it`},
		{"second target", "targets:\n  a:\n    url: x\n  b:\n    url: y\n     timeout: 5s\n", 6, "b", `"timeout" is indented by 5 spaces; this file indents in steps of 2`},
		{"outside targets", "ui:\n  title: x\n    theme: dark\n", 3, "", `"theme" is indented deeper than "title" on line 2, which already has a value; line them up`},
		{"after a block scalar", "targets:\n  prod:\n    display_name: |\n       free\n         text\n    url: x\n      timeout: 5s\n", 7, "prod", `"timeout" is indented deeper than "url" on line 6, which already has a value; line them up`},
		{"list item keys", "targets:\n  prod:\n    custom_checks:\n    - name: a\n       path: /x\n", 5, "prod", `"path" is indented by 7 spaces; this file indents in steps of 2`},
		{"quoted key", "targets:\n  prod:\n    \"url\": x\n      'timeout': 5s\n", 4, "prod", `"timeout" is indented deeper than "url" on line 3, which already has a value; line them up`},
	}
	for _, tt := range tests {
		line, target, msg := indentProblem([]byte(tt.content))
		if line != tt.line || target != tt.target || msg != tt.msg {
			t.Errorf("%s: got %d %q %q, want %d %q %q", tt.name, line, target, msg, tt.line, tt.target, tt.msg)
		}
	}
}
