package config

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

var (
	customNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	labelNameRE  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// DefaultStatusCodes are the answers a custom check accepts unless it says otherwise.
var DefaultStatusCodes = []int{200}

// CustomCheck is a check declared in the configuration for one target: one
// authenticated GET whose answer must have an expected status and, when
// asked, a JSON field with a given value. It appears in every output like a
// built-in check.
type CustomCheck struct {
	// Name is the check's name in metrics, tables and JSON.
	Name string `yaml:"name"`
	// Path is relative to the target URL, or to the chap route when Route is set.
	Path  string `yaml:"path"`
	Route bool   `yaml:"route,omitempty"`
	// Requires names built-in or other custom checks of the target that
	// must pass first.
	Requires []string `yaml:"requires,omitempty,flow"`
	// StatusCodes are the accepted answers (default 200).
	StatusCodes []int `yaml:"status_codes,omitempty,flow"`
	// JSONPath is a dot path (numbers index arrays) whose value must be
	// JSONEquals, compared as text.
	JSONPath   string `yaml:"json_path,omitempty"`
	JSONEquals string `yaml:"json_equals,omitempty"`
	// VersionPath is a dot path read as the version the check reports.
	VersionPath string `yaml:"version_path,omitempty"`
}

// validateExtras checks labels and custom checks, filling defaults.
func (t *Target) validateExtras(checks CheckKinds) error {
	for _, name := range slices.Sorted(maps.Keys(t.Labels)) {
		switch {
		case strings.HasPrefix(name, "__"):
			return keyErrorf("labels."+name, "label names starting with __ are reserved for Prometheus")
		case !labelNameRE.MatchString(name):
			return keyErrorf("labels."+name, "label name must match %s", labelNameRE)
		}
	}
	custom := map[string]*CustomCheck{}
	for i := range t.CustomChecks {
		c := &t.CustomChecks[i]
		key := fmt.Sprintf("custom_checks[%d]", i)
		switch {
		case c.Name == "":
			return keyErrorf(key, "name is required")
		case !customNameRE.MatchString(c.Name):
			return keyErrorf(key+".name", "%q must match %s", c.Name, customNameRE)
		case checks(c.Name) != nil:
			return keyErrorf(key+".name", "%q is a built-in check; choose another name", c.Name)
		case custom[c.Name] != nil:
			return keyErrorf(key+".name", "custom check %q defined twice", c.Name)
		}
		custom[c.Name] = c
		if err := c.validate(key); err != nil {
			return err
		}
	}
	for i, c := range t.CustomChecks {
		key := fmt.Sprintf("custom_checks[%d].requires", i)
		for _, r := range c.Requires {
			if custom[r] != nil {
				continue
			}
			switch kinds := checks(r); {
			case kinds == nil:
				return keyErrorf(key, "check %q requires unknown check %q%s", c.Name, r,
					didYouMean(r, func(name string) bool { return custom[name] != nil || slices.Contains(checks(name), t.Kind) }))
			case !slices.Contains(kinds, t.Kind):
				return keyErrorf(key, "check %q requires %s, which does not apply to kind %s", c.Name, r, t.Kind)
			}
		}
		if cycle := requirementCycle(c.Name, custom, nil); cycle != nil {
			return keyErrorf(key, "requirement cycle: %s", strings.Join(cycle, " → "))
		}
	}
	return nil
}

func (c *CustomCheck) validate(key string) error {
	if c.Path == "" {
		return keyErrorf(key, "check %q: path is required", c.Name)
	}
	u, err := url.Parse(c.Path)
	if err != nil || !strings.HasPrefix(c.Path, "/") || strings.HasPrefix(c.Path, "//") || u.Fragment != "" {
		return keyErrorf(key+".path", "check %q: path must be relative to the target, start with / and have no fragment", c.Name)
	}
	if slices.Contains(strings.Split(u.Path, "/"), "..") {
		return keyErrorf(key+".path", "check %q: path must not contain ..", c.Name)
	}
	if len(c.StatusCodes) == 0 {
		c.StatusCodes = slices.Clone(DefaultStatusCodes)
	}
	for _, code := range c.StatusCodes {
		if code < 100 || code > 599 {
			return keyErrorf(key+".status_codes", "check %q: %d is not an HTTP status code", c.Name, code)
		}
	}
	if (c.JSONPath == "") != (c.JSONEquals == "") {
		return keyErrorf(key, "check %q: json_path and json_equals go together", c.Name)
	}
	for _, p := range []struct{ key, path string }{{"json_path", c.JSONPath}, {"version_path", c.VersionPath}} {
		if p.path != "" && slices.Contains(strings.Split(p.path, "."), "") {
			return keyErrorf(key+"."+p.key, "check %q: %q is not a dot path like data.status", c.Name, p.path)
		}
	}
	return nil
}

// requirementCycle returns the custom checks on a cycle through name, or nil.
func requirementCycle(name string, custom map[string]*CustomCheck, path []string) []string {
	if i := slices.Index(path, name); i >= 0 {
		return slices.Concat(path[i:], []string{name})
	}
	c := custom[name]
	if c == nil {
		return nil // a built-in: built-ins never require custom checks
	}
	for _, r := range c.Requires {
		if cycle := requirementCycle(r, custom, slices.Concat(path, []string{name})); cycle != nil {
			return cycle
		}
	}
	return nil
}
