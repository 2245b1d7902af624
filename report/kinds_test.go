package report_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/report"
)

// serveService serves a simulated OCS or chapkit service.
func serveService(t *testing.T, service dhis2sim.Service, scenario string) string {
	t.Helper()
	sim := dhis2sim.New(dhis2sim.Options{Service: service})
	sim.Update(func(st *dhis2sim.State) { _ = dhis2sim.ApplyScenario(st, scenario) })
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestRunCheckAdHocKinds(t *testing.T) {
	ocs := serveService(t, dhis2sim.ServiceOCS, "healthy")
	chapkit := serveService(t, dhis2sim.ServiceChapkit, "degraded")
	tests := []struct {
		name   string
		opts   report.CheckOptions
		code   int
		stdout []string
		stderr string
	}{
		{"--kind ocs runs the OCS checks", report.CheckOptions{URL: ocs, Kind: "ocs"}, 0,
			[]string{`127\.0\.0\.1 +ocs_info +ok +\S+ +0\.1\.0 +Open Climate Service 0\.1\.0 \(openEO 1\.2\.0, read-only, backend nepal-climate-service-demo\)`,
				`ocs_health +ok`, `http_2xx +ok`}, ""},
		{"--kind chapkit: degraded is not ok", report.CheckOptions{URL: chapkit, Kind: "chapkit"}, 1,
			[]string{`chapkit_health +warn \(not_ready\) +\S+ +- +service reports status degraded: redis degraded`}, ""},
		{"--checks pulls in requirements of the kind", report.CheckOptions{URL: ocs, Kind: "ocs", Checks: []string{"ocs_info"}}, 0,
			[]string{`ocs_health +ok`, `ocs_info +ok`}, ""},
		{"--checks of another kind", report.CheckOptions{URL: ocs, Kind: "ocs", Checks: []string{"dhis2_ping"}}, 2, nil,
			"--checks: check dhis2_ping does not apply to kind ocs"},
		{"unknown kind", report.CheckOptions{URL: ocs, Kind: "dhis3"}, 2, nil, `--kind: unknown kind "dhis3" (want one of dhis2, ocs, chapkit)`},
		{"credentials on ocs", report.CheckOptions{URL: ocs, Kind: "ocs", TokenEnv: "REPORT_TOKEN"}, 2, nil, "--username/--token-env: an ocs target takes no credentials"},
		{"--kind without --url", report.CheckOptions{Kind: "ocs"}, 2, nil, "--kind go with --url"},
	}
	t.Setenv("REPORT_TOKEN", token)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			opts := tt.opts
			opts.ConfigFile, opts.Stdout, opts.Stderr = "/nonexistent.yml", &stdout, &stderr
			if code := report.RunCheck(t.Context(), opts); code != tt.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tt.code, stderr.String())
			}
			for _, want := range tt.stdout {
				if !regexp.MustCompile(want).MatchString(stdout.String()) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			if !strings.Contains(stderr.String(), tt.stderr) || (tt.stderr == "" && stderr.Len() > 0) {
				t.Errorf("stderr %q, want %q", stderr.String(), tt.stderr)
			}
		})
	}
}

// TestRunCheckMixedKinds: one configuration with all three kinds; the table
// and the JSON name each target by its display name and kind.
func TestRunCheckMixedKinds(t *testing.T) {
	_, dhis2, _ := setup(t)
	file := filepath.Join(t.TempDir(), "chap.yml")
	content := fmt.Sprintf(`targets:
  prod:
    display_name: Sierra Leone HMIS
    url: %s
    auth: {token_env: REPORT_TOKEN}
  nepal-ocs:
    kind: ocs
    display_name: Nepal climate service
    url: %s
  ewars-model:
    kind: chapkit
    url: %s
`, dhis2, serveService(t, dhis2sim.ServiceOCS, "healthy"), serveService(t, dhis2sim.ServiceChapkit, "healthy"))
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := report.RunCheck(t.Context(), report.CheckOptions{ConfigFile: file, Stdout: &stdout, Stderr: &stderr}); code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, stderr.String(), stdout.String())
	}
	for _, want := range []string{`prod \(Sierra Leone HMIS\) +dhis2_chap_system_info +ok`, `nepal-ocs \(Nepal climate service\) +ocs_info +ok`, `ewars-model +chapkit_health +ok`} {
		if !regexp.MustCompile(want).MatchString(stdout.String()) {
			t.Errorf("table lacks %q:\n%s", want, stdout.String())
		}
	}
	stdout.Reset()
	if code := report.RunCheck(t.Context(), report.CheckOptions{ConfigFile: file, JSON: true, Targets: []string{"nepal-ocs"}, Stdout: &stdout, Stderr: &stderr}); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var doc report.Document
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if h := doc.Targets[0]; h.DisplayName != "Nepal climate service" || h.Kind != "ocs" || len(h.Checks) != 3 {
		t.Errorf("health = %+v", h)
	}
	stderr.Reset()
	code := report.RunCheck(t.Context(), report.CheckOptions{ConfigFile: file, Checks: []string{"ocs_health"}, Stdout: &stdout, Stderr: &stderr})
	if want := `--checks: check ocs_health does not apply to kind chapkit (target "ewars-model")`; code != 2 || !strings.Contains(stderr.String(), want) {
		t.Errorf("exit %d, stderr %q, want 2 with %q", code, stderr.String(), want)
	}
}
