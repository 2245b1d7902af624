package config

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// yamlWordingVersion is the version of go.yaml.in/yaml/v3 whose messages
// TestYAMLProblems was written against.
const yamlWordingVersion = "v3.0.6"

// TestYAMLModuleVersion: the rewording in yamlwording.go matches the YAML
// library's messages by their text; another version may word them otherwise,
// so moving to it must be a decision, not a silent change of messages.
func TestYAMLModuleVersion(t *testing.T) {
	gomod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	version := ""
	for line := range strings.Lines(string(gomod)) {
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(fields) >= 2 && fields[0] == "go.yaml.in/yaml/v3" {
			version = strings.Join(fields[1:], " ") // a replace directive shows as "=> ..."
		}
	}
	if version != yamlWordingVersion {
		t.Errorf("go.mod has go.yaml.in/yaml/v3 %q: yaml wording tests were written for go.yaml.in/yaml/v3 %s; re-check config/yamlwording.go", version, yamlWordingVersion)
	}
	src, err := os.ReadFile("yamlwording.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(src, []byte("go.yaml.in/yaml/v3 "+yamlWordingVersion)) {
		t.Errorf("yamlwording.go does not say it was written against go.yaml.in/yaml/v3 %s", yamlWordingVersion)
	}
}

// yamlErrorOf decodes content as Parse does: into a node tree, then into a
// Config with unknown keys refused.
func yamlErrorOf(t *testing.T, content string) error {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(content), &root); err != nil {
		return err
	}
	dec := yaml.NewDecoder(strings.NewReader(content))
	dec.KnownFields(true)
	err := dec.Decode(&Config{})
	if err == nil {
		t.Fatalf("the YAML library accepts %q", content)
	}
	return err
}

// TestYAMLProblems: one row for each shape of message the YAML library
// produces, made by the library itself from a small document, and what this
// package makes of it. After an upgrade, a failing row shows a shape whose
// wording changed.
func TestYAMLProblems(t *testing.T) {
	one := func(line int, msg string) []yamlProblem {
		return []yamlProblem{{line: line, msg: msg}}
	}
	indentation := func(line int, msg string) []yamlProblem {
		return []yamlProblem{{line: line, msg: msg, indentation: true}}
	}
	tests := []struct {
		name, content string
		want          []yamlProblem
	}{
		// Syntax errors that usually come from indentation.
		{"mapping values", "targets:\n  prod: x\n    url: y\n", indentation(3, "mapping values are not allowed in this context")},
		{"expected key", "targets:\n  prod:\n    url: y\n   timeout: 5s\n", indentation(1, "did not find expected key")},
		{"expected dash", "- a\nb: c\n", indentation(1, "did not find expected '-' indicator")},
		{"expected node", "targets: [a, \n", indentation(1, "did not find expected node content")},
		{"expected brace", "targets: {a: b\n", indentation(1, "did not find expected ',' or '}'")},
		{"expected bracket, no line", "targets: [a: b: c]\n", indentation(0, "did not find expected ',' or ']'")},
		{"cannot start a token", "targets:\n  prod:\n    url: `y`\n", indentation(3, "found character that cannot start any token")},
		{"tab", "a: b\n\tc: d\n", indentation(2, "found a tab character that violates indentation")},
		{"block sequence, no line", "a: - b\n", indentation(0, "block sequence entries are not allowed in this context")},
		// Other syntax errors.
		{"expected colon", "a:\n  - b\n  c\n", one(3, "could not find expected ':'")},
		{"end of stream", "targets:\n  prod:\n    url: \"y\n", one(3, "found unexpected end of stream")},
		{"escape", "targets:\n  prod:\n    url: \"\\q\"\n", one(3, "found unknown escape character")},
		{"control character", "targets:\x01\n", one(0, "control characters are not allowed")},
		{"UTF-8", "targets: \xff\n", one(0, "invalid leading UTF-8 octet")},
		{"unknown anchor", "targets: *a\n", one(0, "unknown anchor 'a' referenced")},
		// Errors of decoding that stop it.
		{"merge", "targets:\n  prod:\n    <<: 5\n", one(0, "map merge requires map or sequence of maps as the value")},
		{"binary", "targets:\n  prod:\n    url: !!binary '%%%'\n", one(0, "!!binary value contains invalid base64 data")},
		{"explicit tag the value does not fit, value over lines", "targets:\n  prod:\n    url: !!int \"pw\\n42\"\n",
			[]yamlProblem{{msg: "a value tagged !!int is not a number: remove the tag or fix the value", explicitTag: "int"}}},
		{"explicit float tag", "targets:\n  prod:\n    url: !!float abc\n",
			[]yamlProblem{{msg: "a value tagged !!float is not a number: remove the tag or fix the value", explicitTag: "float"}}},
		// Type errors, which go on past the first.
		{"unknown key", "targets:\n  prod:\n    url: https://x\n    auth: {tokn_env: X}\n",
			[]yamlProblem{{line: 4, msg: `unknown key "tokn_env" under auth; did you mean "token_env"?`, unknownKey: true}}},
		{"unknown key in a type the index does not know", "targets:\n  prod:\n    url: https://x\n    tls_config: {foo: 1}\n",
			[]yamlProblem{{line: 4, msg: `unknown key "foo"`, unknownKey: true}}},
		{"string for a list", "targets:\n  prod:\n    url: https://x\n    checks: dhis2_ping\n", one(4, "wrong type: a string where a list was expected")},
		{"long string, cut by the library", "targets:\n  prod:\n    url: https://x\n    checks: dhis2_ping_and_more\n", one(4, "wrong type: a string where a list was expected")},
		{"string over lines", "targets:\n  prod:\n    url: https://x\n    checks: \"pw\\n42\"\n", one(4, "wrong type: a string where a list was expected")},
		{"mapping for a string", "targets:\n  prod:\n    url: {a: b}\n", one(3, "wrong type: a mapping where a string was expected")},
		{"list for a mapping", "targets:\n  prod:\n    url: https://x\n    labels: [a]\n", one(4, "wrong type: a list where a mapping was expected")},
		{"integer for a bool", "targets:\n  prod:\n    url: https://x\n    custom_checks: [{name: a, path: /x, route: 5}]\n", one(4, "wrong type: a number where true or false was expected")},
		{"float for a bool", "targets:\n  prod:\n    url: https://x\n    custom_checks: [{name: a, path: /x, route: 1.5}]\n", one(4, "wrong type: a number where true or false was expected")},
		{"string for an integer", "targets:\n  prod:\n    url: https://x\n    custom_checks: [{name: a, path: /x, status_codes: [a]}]\n", one(4, "wrong type: a string where a number was expected")},
		{"bool for a mapping", "targets:\n  prod:\n    url: https://x\n    labels: true\n", one(4, "wrong type: a bool where a mapping was expected")},
		{"mapping for a secret (prometheus/common's Secret)", "targets:\n  prod:\n    url: https://x\n    auth:\n      token: {a: b}\n", one(5, "wrong type: a mapping where a string was expected")},
		{"list for a secret or TLS settings", "targets:\n  prod:\n    url: https://x\n    auth:\n      token: [a]\n", one(5, "wrong type: a list where a string or a mapping was expected")},
		{"string for a struct of another package", "targets:\n  prod:\n    url: https://x\n    tls_config: x\n", one(4, "wrong type: a string where a mapping was expected")},
		{"duplicate key", "targets:\n  prod:\n    url: https://a\n  prod:\n    url: https://b\n", one(4, `mapping key "prod" already defined at line 2`)},
		{"this package's own type error", "targets:\n  prod:\n    url: https://x\n    timeout: 5\n", one(4, "a number needs a unit (e.g. 10s, 1m30s)")},
		{"several", "targets:\n  prod:\n    url: https://x\n    tiemout: 5s\n    checks: a\n", []yamlProblem{
			{line: 4, msg: `unknown key "tiemout" directly under a target's name; did you mean "timeout"?`, unknownKey: true},
			{line: 5, msg: "wrong type: a string where a list was expected"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := yamlErrorOf(t, tt.content)
			if got := yamlProblems(err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("the YAML library says %q\ngot  %+v\nwant %+v", err, got, tt.want)
			}
		})
	}
}
