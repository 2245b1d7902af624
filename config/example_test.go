package config_test

import (
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/dhis2-chap/chap_exporter/config"
	"github.com/dhis2-chap/chap_exporter/prober"
)

// TestExampleIsOneWorkingTarget: the template, as printed, is one DHIS2
// target with a token and defaults for everything else. (That it passes
// every check against the simulator is tested on the binary, in cmd.)
func TestExampleIsOneWorkingTarget(t *testing.T) {
	t.Setenv("PROD_DHIS2_TOKEN", "d2pat_example")
	cfg, err := config.Parse([]byte(config.Example), "example.yml", prober.KindsOf)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) > 0 {
		t.Errorf("the template draws warnings: %v", cfg.Warnings)
	}
	if got := cfg.Names(); !slices.Equal(got, []string{"prod"}) {
		t.Fatalf("targets = %v, want only prod", got)
	}
	prod := cfg.Targets["prod"]
	if prod.Auth.Mode() != config.AuthToken || len(prod.Checks) > 0 || prod.MinInterval != 0 ||
		len(prod.CustomChecks) > 0 || time.Duration(prod.Timeout) != config.DefaultTimeout {
		t.Errorf("prod sets more than url and a token:\n%s", prod)
	}
}

// commentedKeyRE matches a commented-out YAML line of the template: a key
// right after "# ", or a line indented further after it (a list item, a
// nested key); prose starts with a capital or has no "key:" at its start.
var commentedKeyRE = regexp.MustCompile(`^( *)# ((?: +\S.*)|(?:[a-z_][a-z0-9_-]*:(?: .*)?))$`)

// TestExampleCommentedKeysAreValid uncomments every commented-out key and
// decodes the result strictly: each one is a real key, at the right
// indentation, with a value of the right type.
func TestExampleCommentedKeysAreValid(t *testing.T) {
	var lines []string
	uncommented := 0
	for _, line := range strings.Split(config.Example, "\n") {
		// At the left margin only a key is uncommented ("# ui:"), never prose.
		if m := commentedKeyRE.FindStringSubmatch(line); m != nil && (len(m[1]) >= 2 || !strings.HasPrefix(m[2], " ")) {
			line = m[1] + m[2]
			uncommented++
		}
		lines = append(lines, line)
	}
	if uncommented < 30 {
		t.Fatalf("uncommented only %d lines", uncommented)
	}
	all := strings.Join(lines, "\n")
	dec := yaml.NewDecoder(strings.NewReader(all))
	dec.KnownFields(true)
	var cfg config.Config
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("uncommented template does not decode: %v\n%s", err, all)
	}
	if len(cfg.Targets) != 4 || len(cfg.Targets["prod"].CustomChecks) != 1 || cfg.Targets["prod"].Kind != config.KindDHIS2 {
		t.Errorf("uncommented template decoded to %d targets, prod = %+v", len(cfg.Targets), cfg.Targets["prod"])
	}
	for _, check := range cfg.Targets["prod"].Checks {
		if !slices.Contains(prober.KindsOf(check), config.KindDHIS2) {
			t.Errorf("the template's checks list names %q, not a check of DHIS2 targets", check)
		}
	}
}

// TestExampleOtherKindsParse: the commented ocs and chapkit targets at the
// end of the template are valid once uncommented.
func TestExampleOtherKindsParse(t *testing.T) {
	_, block, ok := strings.Cut(config.Example, "  # nepal-ocs:")
	if !ok {
		t.Fatal("the template has no commented nepal-ocs target")
	}
	var lines []string
	for _, line := range strings.Split("  # nepal-ocs:"+block, "\n") {
		if line, ok := strings.CutPrefix(line, "  # "); ok {
			lines = append(lines, "  "+line)
		}
	}
	cfg, err := config.Parse([]byte("targets:\n"+strings.Join(lines, "\n")), "example.yml", prober.KindsOf)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Targets["nepal-ocs"].Kind != config.KindOCS || cfg.Targets["ewars-model"].Kind != config.KindChapkit {
		t.Errorf("kinds = %s, %s", cfg.Targets["nepal-ocs"].Kind, cfg.Targets["ewars-model"].Kind)
	}
}

// templateKeyRE matches a key inside a target, active or commented out
// (also inside a commented-out target: "  #   kind: ocs").
var templateKeyRE = regexp.MustCompile(`^( {4,}(?:# ?)? *| {2}# {2,})(?:- )?([a-z_]+):`)

// TestExampleAndReadmeAgree: every key of the template is in the README's
// configuration section, and every key the README's reference table
// names is in the template.
func TestExampleAndReadmeAgree(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	section = section[strings.Index(section, "\n## Configuration"):]
	section = section[:strings.Index(section[1:], "\n## ")+1]
	section = regexp.MustCompile("(?m)^```.*$").ReplaceAllString(section, "") // fences would pair backticks wrongly

	template := map[string]bool{}
	for _, line := range strings.Split(config.Example, "\n") {
		if m := templateKeyRE.FindStringSubmatch(line); m != nil {
			template[m[2]] = true
		}
	}
	if len(template) < 25 {
		t.Fatalf("found only %d keys in the template: %v", len(template), template)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(section, -1) {
		for _, key := range regexp.MustCompile(`[a-z_]+`).FindAllString(m[1], -1) {
			documented[key] = true
		}
	}
	for key := range template {
		if !documented[key] {
			t.Errorf("template key %q is not in the README's configuration section", key)
		}
	}

	referenced := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		first, ok := strings.CutPrefix(line, "| `")
		if !ok {
			continue
		}
		first, _, _ = strings.Cut(first, " | ")
		for _, key := range regexp.MustCompile(`[a-z_]+`).FindAllString(first, -1) {
			referenced[key] = true
		}
	}
	if len(referenced) < 25 {
		t.Fatalf("found only %d keys in the README's reference table", len(referenced))
	}
	for _, key := range slices.Sorted(maps.Keys(referenced)) {
		if !template[key] {
			t.Errorf("README reference key %q is not in the template", key)
		}
	}
}
