package testkit

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// placeholder is ${NAME} in a test data file.
var placeholder = regexp.MustCompile(`\$\{([A-Z][A-Z0-9_]*)\}`)

// ReadExpanded returns the test data file at path with each ${NAME} replaced
// by vars[NAME], for a configuration that names what a test starts (a
// simulator's URL). A placeholder without a value, or a value without a
// placeholder, fails the test: the file and the test have drifted apart.
func ReadExpanded(t testing.TB, path string, vars map[string]string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out, err := expand(string(data), vars)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

// expand replaces each ${NAME} in s by vars[NAME], and fails unless every
// placeholder has a value and every value a placeholder.
func expand(s string, vars map[string]string) (string, error) {
	var missing, used []string
	out := placeholder.ReplaceAllStringFunc(s, func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		v, ok := vars[name]
		if !ok && !slices.Contains(missing, name) {
			missing = append(missing, name)
		}
		used = append(used, name)
		return v
	})
	var unused []string
	for name := range vars {
		if !slices.Contains(used, name) {
			unused = append(unused, name)
		}
	}
	sort.Strings(unused)
	switch {
	case len(missing) > 0:
		return "", fmt.Errorf("no value for ${%s}", strings.Join(missing, "}, ${"))
	case len(unused) > 0:
		return "", fmt.Errorf("no ${%s} to replace", strings.Join(unused, "}, ${"))
	}
	return out, nil
}
