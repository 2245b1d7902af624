// Package docs_test keeps the README and the pages under docs/ honest: every
// relative link and anchor resolves, and every chap_exporter, dhis2sim, make
// and script command they show exists with the flags they give it.
package docs_test

import (
	"bufio"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// pages are the Markdown files a reader follows from the README.
func pages(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) == 0 {
		t.Fatal("no pages under docs/")
	}
	return append([]string{"../README.md", "../CHANGELOG.md"}, docs...)
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	fenceRE   = regexp.MustCompile("(?ms)^```[^\n]*\n.*?^```")
	codeRE    = regexp.MustCompile("`[^`\n]*`")
	linkRE    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	headingRE = regexp.MustCompile(`(?m)^#{1,6} +(.+?) *$`)
)

// prose is the Markdown without code, where links are links.
func prose(md string) string {
	return codeRE.ReplaceAllString(fenceRE.ReplaceAllString(md, ""), "")
}

// anchors are the ids GitHub gives the headings of md.
func anchors(md string) map[string]bool {
	ids := map[string]bool{}
	seen := map[string]int{}
	for _, m := range headingRE.FindAllStringSubmatch(fenceRE.ReplaceAllString(md, ""), -1) {
		id := slug(m[1])
		if n := seen[id]; n > 0 {
			ids[fmt.Sprintf("%s-%d", id, n)] = true
		} else {
			ids[id] = true
		}
		seen[id]++
	}
	return ids
}

// slug is GitHub's heading id: lower case, markup and punctuation other than
// - and _ dropped, spaces to hyphens.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestRelativeLinksResolve(t *testing.T) {
	for _, page := range pages(t) {
		md := read(t, page)
		for _, m := range linkRE.FindAllStringSubmatch(prose(md), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, anchor, _ := strings.Cut(target, "#")
			path := page
			if file != "" {
				path = filepath.Join(filepath.Dir(page), file)
				if _, err := os.Stat(path); err != nil {
					t.Errorf("%s: link %s: %v", page, target, err)
					continue
				}
			}
			if anchor != "" && strings.HasSuffix(path, ".md") && !anchors(read(t, path))[anchor] {
				t.Errorf("%s: link %s: %s has no heading with id %q", page, target, path, anchor)
			}
		}
	}
}

// commandLines are the lines of code blocks that run one of the given
// programs, with comments and leading "sudo" removed.
func commandLines(md string, programs ...string) []string {
	var lines []string
	for _, block := range fenceRE.FindAllString(md, -1) {
		sc := bufio.NewScanner(strings.NewReader(block))
		for sc.Scan() {
			line := sc.Text()
			if i := strings.Index(line, " #"); i >= 0 {
				line = line[:i]
			}
			line = strings.TrimPrefix(strings.TrimSpace(line), "sudo ")
			for _, p := range programs {
				if strings.HasPrefix(line, p+" ") || line == p {
					lines = append(lines, strings.TrimSpace(line))
				}
			}
		}
	}
	return lines
}

// args splits a command line like a shell for the simple lines the docs
// show: words, and single-quoted words.
func args(line string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`'[^']*'|\S+`).FindAllString(line, -1) {
		out = append(out, strings.Trim(m, "'"))
	}
	return out
}

// TestCommandsExist runs every chap_exporter and dhis2sim command line of the
// docs with --help appended: kingpin rejects an unknown flag, command or bad
// value before it prints help. Placeholders ([TARGET...]) are left out.
func TestCommandsExist(t *testing.T) {
	bin := t.TempDir()
	for _, name := range []string{"chap_exporter", "dhis2sim"} {
		if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, name), "../cmd/"+name).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", name, err, out)
		}
	}
	ran := 0
	for _, page := range pages(t) {
		for _, line := range commandLines(read(t, page), "chap_exporter", ".build/chap_exporter", "dhis2sim", ".build/dhis2sim") {
			// The command before a pipe or redirection; placeholders and
			// variables cannot run as written anywhere.
			line, _, _ = strings.Cut(line, " |")
			line, _, _ = strings.Cut(line, " >")
			if strings.Contains(line, "[") || strings.Contains(line, "...") || strings.ContainsAny(line, "$<") {
				continue
			}
			words := args(line)
			cmd := exec.Command(filepath.Join(bin, filepath.Base(words[0])), append(words[1:], "--help")...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s: %s: %v\n%s", page, line, err, out)
			}
			ran++
		}
	}
	if ran < 10 {
		t.Errorf("checked only %d command lines", ran)
	}
	t.Logf("checked %d command lines", ran)
}

// TestMakeTargetsAndScriptsExist: every `make X` names a target of the
// Makefile, every scripts/... path exists.
func TestMakeTargetsAndScriptsExist(t *testing.T) {
	makefile := read(t, "../Makefile")
	scriptRE := regexp.MustCompile(`(?:^|[\s(` + "`" + `])((?:\./)?scripts/[\w.-]+)`)
	for _, page := range pages(t) {
		md := read(t, page)
		for _, m := range regexp.MustCompile("`make ([a-z-]+)").FindAllStringSubmatch(md, -1) {
			if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(m[1]) + `:`).MatchString(makefile) {
				t.Errorf("%s: make %s: no such target", page, m[1])
			}
		}
		for _, line := range commandLines(md, "make") {
			if w := args(line); len(w) > 1 && !strings.Contains(w[1], "=") &&
				!regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(w[1])+`:`).MatchString(makefile) {
				t.Errorf("%s: %s: no such target", page, line)
			}
		}
		for _, m := range scriptRE.FindAllStringSubmatch(md, -1) {
			if _, err := os.Stat(filepath.Join("..", m[1])); err != nil {
				t.Errorf("%s: %s: %v", page, m[1], err)
			}
		}
	}
}

// architectureRowRE matches a row of the package table in architecture.md:
// the package's directory, what it is, and what it may import.
var architectureRowRE = regexp.MustCompile("(?m)^\\| `([^`]+)` \\|[^|]*\\|([^|]*)\\|$")

// allowedImports reads the package table of architecture.md: each package's
// directory and the module packages its non-test code may import.
func allowedImports(t *testing.T) map[string]map[string]bool {
	t.Helper()
	allowed := map[string]map[string]bool{}
	for _, row := range architectureRowRE.FindAllStringSubmatch(read(t, "architecture.md"), -1) {
		may := map[string]bool{}
		for _, m := range codeRE.FindAllString(row[2], -1) {
			may[strings.Trim(m, "`")] = true
		}
		allowed[row[1]] = may
	}
	if len(allowed) == 0 {
		t.Fatal("architecture.md has no package table")
	}
	return allowed
}

// moduleImports maps each package directory of the module (relative to the
// root, "." for the root) to the module packages its non-test files import.
func moduleImports(t *testing.T, root string) map[string]map[string]bool {
	t.Helper()
	mod := moduleRE.FindStringSubmatch(read(t, filepath.Join(root, "go.mod")))
	if mod == nil {
		t.Fatal("go.mod has no module line")
	}
	imports := map[string]map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			// examples/validate is a module of its own; testdata and dot directories hold no packages.
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules" ||
				fileExists(filepath.Join(path, "go.mod"))) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		dir, _ := filepath.Rel(root, filepath.Dir(path))
		dir = filepath.ToSlash(dir)
		if imports[dir] == nil {
			imports[dir] = map[string]bool{} // a package of tests only still needs its row
		}
		if strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if p == mod[1] {
				imports[dir]["."] = true
			} else if rest, ok := strings.CutPrefix(p, mod[1]+"/"); ok {
				imports[dir][rest] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return imports
}

var moduleRE = regexp.MustCompile(`(?m)^module\s+(\S+)`)

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// TestPackagesImportOnlyWhatArchitectureAllows holds the code to the package
// table of architecture.md: every package has a row, every row a package, and
// no package's non-test code imports a module package its row does not list.
func TestPackagesImportOnlyWhatArchitectureAllows(t *testing.T) {
	allowed := allowedImports(t)
	actual := moduleImports(t, "..")
	for dir, imports := range actual {
		may, ok := allowed[dir]
		if !ok {
			t.Errorf("package %s has no row in architecture.md's package table", dir)
			continue
		}
		for imp := range imports {
			if !may[imp] {
				t.Errorf("%s imports %s, which architecture.md does not allow", dir, imp)
			}
		}
	}
	for dir := range allowed {
		if _, ok := actual[dir]; !ok {
			t.Errorf("architecture.md's package table lists %s, which is not a package", dir)
		}
	}
}
