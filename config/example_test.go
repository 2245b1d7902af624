package config_test

import (
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dhis2-chap/chap_exporter/config"
	"github.com/dhis2-chap/chap_exporter/prober"
)

func TestExampleParses(t *testing.T) {
	t.Setenv("PROD_DHIS2_TOKEN", "d2pat_example")
	cfg, err := config.Parse([]byte(config.Example), "example.yml", prober.KindsOf)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Targets["prod"].CustomChecks) == 0 || len(cfg.Targets["prod"].Labels) == 0 {
		t.Error("the example shows no custom checks or labels")
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
var templateKeyRE = regexp.MustCompile(`^( {4,}(?:# ?)?| {2}# {2,})(?:- )?([a-z_]+):`)

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
