package prober_test

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestReadmeCheckExample keeps the "Adding a check" code of
// docs/development.md equal to example_readme_test.go, which this test runs
// against the simulator.
func TestReadmeCheckExample(t *testing.T) {
	readme, err := os.ReadFile("../docs/development.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	start := strings.Index(section, "## Adding a check")
	if start < 0 {
		t.Fatal(`docs/development.md has no "## Adding a check" section`)
	}
	section = section[start:]
	begin := strings.Index(section, "```go\n")
	end := strings.Index(section[begin+6:], "```")
	if begin < 0 || end < 0 {
		t.Fatal("no Go code block in the Adding a check section of docs/development.md")
	}
	snippet := section[begin+6 : begin+6+end]
	file, err := os.ReadFile("example_readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, snippetBody, _ := strings.Cut(snippet, "\n")   // after "package mychecks"
	_, fileBody, _ := strings.Cut(string(file), "\n") // after "package prober_test"
	if snippetBody != fileBody {
		t.Errorf("docs/development.md snippet and example_readme_test.go differ; docs:\n%s\nfile:\n%s", snippetBody, fileBody)
	}

	_, srv, _ := simTarget(t, false)
	target := loadTarget(t, "url: "+srv.URL+"\nauth: {token_env: SIM_TOKEN}\nchecks: [example_chap_python]")
	r := result(t, probe(t, target, 5*time.Second), "example_chap_python")
	if outcome(r) != "ok" || r.Version != "3.13.5" || r.Message != "chap-core runs on Python 3.13.5" {
		t.Errorf("example check = %s %q %q", outcome(r), r.Version, r.Message)
	}
}
