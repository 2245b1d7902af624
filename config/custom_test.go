package config_test

import (
	"slices"
	"testing"

	"github.com/dhis2-chap/chap_exporter/config"
)

// withTarget is a config whose target "prod" has body (indented YAML, one
// key per line) after its url, which is on line 3.
func withTarget(body string) string {
	return "targets:\n  prod:\n    url: http://dhis2.example.org\n" + body
}

func TestCustomChecksAndLabelsRejected(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"reserved label", "    labels:\n      __meta: x\n",
			`chap.yml:5: target "prod": labels.__meta: label names starting with __ are reserved for Prometheus`},
		{"bad label name", "    labels:\n      env: prod\n      team-a: x\n",
			`chap.yml:6: target "prod": labels.team-a: label name must match ^[a-zA-Z_][a-zA-Z0-9_]*$`},
		{"labels not a mapping", "    labels: [env]\n",
			`chap.yml:4: target "prod": labels: wrong type: a list where a mapping was expected`},
		{"missing name", "    custom_checks:\n      - path: /api/x\n",
			`chap.yml:5: target "prod": custom_checks[0]: name is required`},
		{"bad name", "    custom_checks:\n      - name: Models-OK\n        path: /x\n",
			`chap.yml:5: target "prod": custom_checks[0].name: "Models-OK" must match ^[a-z][a-z0-9_]*$`},
		{"built-in name", "    custom_checks:\n      - name: dhis2_ping\n        path: /x\n",
			`chap.yml:5: target "prod": custom_checks[0].name: "dhis2_ping" is a built-in check; choose another name`},
		{"duplicate name", "    custom_checks:\n      - name: a\n        path: /x\n      - name: a\n        path: /y\n",
			`chap.yml:7: target "prod": custom_checks[1].name: custom check "a" defined twice`},
		{"missing path", "    custom_checks:\n      - name: a\n",
			`chap.yml:5: target "prod": custom_checks[0]: check "a": path is required`},
		{"absolute URL", "    custom_checks:\n      - name: a\n        path: http://evil.example.org/\n",
			`chap.yml:6: target "prod": custom_checks[0].path: check "a": path must be relative to the target, start with / and have no fragment`},
		{"protocol-relative", "    custom_checks:\n      - name: a\n        path: //evil.example.org/\n",
			`chap.yml:6: target "prod": custom_checks[0].path: check "a": path must be relative to the target, start with / and have no fragment`},
		{"dot dot", "    custom_checks:\n      - name: a\n        path: /api/../x\n",
			`chap.yml:6: target "prod": custom_checks[0].path: check "a": path must not contain ..`},
		{"bad status", "    custom_checks:\n      - name: a\n        path: /x\n        status_codes: [200, 999]\n",
			`chap.yml:7: target "prod": custom_checks[0].status_codes: check "a": 999 is not an HTTP status code`},
		{"json_path alone", "    custom_checks:\n      - name: a\n        path: /x\n        json_path: status\n",
			`chap.yml:5: target "prod": custom_checks[0]: check "a": json_path and json_equals go together`},
		{"bad dot path", "    custom_checks:\n      - name: a\n        path: /x\n        version_path: info..version\n",
			`chap.yml:7: target "prod": custom_checks[0].version_path: check "a": "info..version" is not a dot path like data.status`},
		{"unknown requirement", "    custom_checks:\n      - name: a\n        path: /x\n        requires: [dhis2_pong]\n",
			`chap.yml:7: target "prod": custom_checks[0].requires: check "a" requires unknown check "dhis2_pong"; did you mean "dhis2_ping"?`},
		{"typo of a custom requirement", "    custom_checks:\n      - name: chap_models\n        path: /x\n      - name: b\n        path: /y\n        requires: [chap_modles]\n",
			`chap.yml:9: target "prod": custom_checks[1].requires: check "b" requires unknown check "chap_modles"; did you mean "chap_models"?`},
		{"self cycle", "    custom_checks:\n      - name: a\n        path: /x\n        requires: [a]\n",
			`chap.yml:7: target "prod": custom_checks[0].requires: requirement cycle: a → a`},
		{"cycle", "    custom_checks:\n      - name: a\n        path: /x\n        requires: [dhis2_ping, b]\n      - name: b\n        path: /y\n        requires: [a]\n",
			`chap.yml:7: target "prod": custom_checks[0].requires: requirement cycle: a → b → a`},
		{"unknown key", "    custom_checks:\n      - name: a\n        path: /x\n        expect: 200\n",
			`chap.yml:7: target "prod": unknown key "expect" in a custom_checks entry`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse([]byte(withTarget(tt.body)), "chap.yml", knownChecks)
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func TestCustomChecksAndLabelsAccepted(t *testing.T) {
	body := `    labels: {env: prod, notify: slack}
    custom_checks:
      - name: chap_models
        path: /v1/crud/models
        route: true
        requires: [dhis2_chap_system_info, dhis2_ready_json]
        version_path: info.version
      - name: dhis2_ready_json
        path: /api/ping?x=1
        status_codes: [200, 204]
        json_path: data.0.ok
        json_equals: true
`
	cfg, err := config.Parse([]byte(withTarget(body)), "chap.yml", knownChecks)
	if err != nil {
		t.Fatal(err)
	}
	tgt := cfg.Targets["prod"]
	if tgt.Labels["env"] != "prod" || tgt.Labels["notify"] != "slack" {
		t.Errorf("labels = %v", tgt.Labels)
	}
	if len(tgt.CustomChecks) != 2 {
		t.Fatalf("custom checks = %+v", tgt.CustomChecks)
	}
	models, ready := tgt.CustomChecks[0], tgt.CustomChecks[1]
	if !models.Route || models.VersionPath != "info.version" || !slices.Equal(models.StatusCodes, []int{200}) {
		t.Errorf("chap_models = %+v (want route, version path and the default status 200)", models)
	}
	if ready.JSONEquals != "true" || !slices.Equal(ready.StatusCodes, []int{200, 204}) {
		t.Errorf("dhis2_ready_json = %+v (a YAML boolean is compared as text)", ready)
	}
}
