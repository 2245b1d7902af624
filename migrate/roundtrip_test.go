package migrate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/report"
)

// TestRoundTripProbesTheSimulator migrates a chap-checker file whose
// instances point at the DHIS2 simulator and runs `chap_exporter check` on
// the result: each target runs the checks its TOML asked for (plus what they
// require) and authenticates the way the TOML said; the ocs instances run
// the OCS checks against the simulator serving an Open Climate Service.
func TestRoundTripProbesTheSimulator(t *testing.T) {
	sim := dhis2sim.New(dhis2sim.Options{})
	plain := httptest.NewServer(sim)
	defer plain.Close()
	tlsSim := httptest.NewUnstartedServer(sim)
	// verified-tls refuses the certificate on purpose; its handshake error is expected.
	tlsSim.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSim.StartTLS()
	defer tlsSim.Close()
	ocs := httptest.NewServer(dhis2sim.New(dhis2sim.Options{Service: dhis2sim.ServiceOCS}))
	defer ocs.Close()

	dir := t.TempDir()
	fixture := filepath.Join(dir, "chap-checker.toml")
	toml := fmt.Sprintf(`concurrency = 2

[instances.inline-password]
name = "Inline password, TLS not verified"
url = %[1]q
username = %[3]q
password = %[4]q
verify_tls = false
timeout_s = 5

[instances.env-password]
url = %[2]q
username = %[3]q
password_env = "RT_PASSWORD"
checks = ["dhis2_system_info"]

[instances.inline-token]
url = %[2]q
token = %[5]q
checks = ["dhis2_chap_system_info"]

[instances.env-token]
url = %[2]q
token_env = "RT_TOKEN"
checks = ["http_2xx", "dhis2_chap_modeling_app"]

[instances.verified-tls]
url = %[1]q
username = %[3]q
password = %[4]q
checks = ["dhis2_ping"]

[instances.ocs-default]
kind = "ocs"
name = "Nepal"
url = %[6]q

[instances.ocs-health]
kind = "ocs"
url = %[6]q
checks = ["ocs_health"]
`, tlsSim.URL, plain.URL, dhis2sim.DefaultUsername, dhis2sim.DefaultPassword, dhis2sim.DefaultToken, ocs.URL)
	if err := os.WriteFile(fixture, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "migrated")
	var stdout, stderr bytes.Buffer
	if code := Run(RunOptions{From: fixture, Out: out, LookupEnv: lookupNothing, Stdout: &stdout, Stderr: &stderr}); code != ExitOK {
		t.Fatalf("migrate: exit %d: %s", code, stderr.String())
	}
	t.Setenv("RT_PASSWORD", dhis2sim.DefaultPassword)
	t.Setenv("RT_TOKEN", dhis2sim.DefaultToken)

	stdout.Reset()
	stderr.Reset()
	code := report.RunCheck(context.Background(), report.CheckOptions{
		ConfigFile: filepath.Join(out, "chap.yml"), JSON: true, UserAgent: "roundtrip-test", Stdout: &stdout, Stderr: &stderr,
	})
	if code != report.ExitNotOK {
		t.Errorf("check exit %d, want %d (verified-tls fails); stderr: %s", code, report.ExitNotOK, stderr.String())
	}
	var doc report.Document
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	got := map[string]string{}
	for _, h := range doc.Targets {
		if want := map[bool]float64{true: 5, false: 10}[h.Target == "inline-password"]; h.TimeoutSeconds != want {
			t.Errorf("%s ran with a %gs budget, want %gs (timeout_s)", h.Target, h.TimeoutSeconds, want)
		}
		var checks []string
		for _, c := range h.Order {
			s := string(h.Checks[c].Status)
			if r := h.Checks[c].Reason; r != "" {
				s += "/" + string(r)
			}
			checks = append(checks, c+"="+s)
		}
		slices.Sort(checks) // checks that do not depend on each other run concurrently
		got[h.Target] = strings.Join(checks, " ")
	}
	want := map[string]string{
		// no checks key: every default check
		"inline-password": "dhis2_chap_climate_app=ok dhis2_chap_modeling_app=ok dhis2_chap_ping=ok dhis2_chap_route=ok " +
			"dhis2_chap_system_info=ok dhis2_ping=ok dhis2_system_info=ok http_2xx=ok",
		"env-password": "dhis2_ping=ok dhis2_system_info=ok",
		"inline-token": "dhis2_chap_ping=ok dhis2_chap_route=ok dhis2_chap_system_info=ok dhis2_ping=ok",
		"env-token":    "dhis2_chap_modeling_app=ok dhis2_chap_route=ok dhis2_ping=ok http_2xx=ok",
		// verify_tls left at true: the simulator's certificate is not trusted
		"verified-tls": "dhis2_ping=fail/tls",
		// kind ocs: the OCS checks, no credentials
		"ocs-default": "http_2xx=ok ocs_health=ok ocs_info=ok",
		"ocs-health":  "ocs_health=ok",
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s:\n got %s\nwant %s", name, got[name], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("targets %v, want %d", got, len(want))
	}
	// Token instances authenticated with the token, password ones with Basic.
	schemes := map[string]bool{}
	for _, r := range sim.Requests() {
		schemes[r.AuthScheme] = true
	}
	for _, s := range []string{"ApiToken", "Basic"} {
		if !schemes[s] {
			t.Errorf("no request authenticated with %s; schemes seen: %v", s, schemes)
		}
	}
}
