package migrate

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/dhis2-chap/chap_exporter/config"
	"github.com/dhis2-chap/chap_exporter/internal/testkit"
	"github.com/dhis2-chap/chap_exporter/prober"
)

// These tests check the generated files with the real promtool and amtool
// (scripts/ensure-tools.sh installs Debian's; `make test-current`, where it
// exists, puts current ones first on PATH).

// runTool runs a tool and returns its standard output.
func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(testkit.RequireTool(t, name), args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// migrateTo runs a whole migration of fixture into a new directory.
func migrateTo(t *testing.T, fixture string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "migrated")
	var stdout, stderr bytes.Buffer
	if code := Run(RunOptions{From: fixture, Out: out, LookupEnv: lookupCanary, Stdout: &stdout, Stderr: &stderr}); code != ExitOK {
		t.Fatalf("migrate %s: exit %d: %s", fixture, code, stderr.String())
	}
	return out
}

// amtoolConfig returns an Alertmanager configuration amtool can load: the
// generated one, or, for Alertmanager before 0.26 (Debian 12 has 0.25),
// which has no webhook url_file, a copy with each url_file replaced by the
// URL in its file. Everything else is checked as generated.
func amtoolConfig(t *testing.T, dir string) string {
	t.Helper()
	generated := filepath.Join(dir, "alertmanager.yml")
	if testkit.HasWebhookURLFile(testkit.ToolVersion(t, "amtool")) {
		return generated
	}
	content, err := os.ReadFile(generated)
	if err != nil {
		t.Fatal(err)
	}
	inlined, err := testkit.InlineURLFiles(string(content), func(path string) (string, error) {
		url, err := os.ReadFile(path)
		return strconv.Quote(strings.TrimSpace(string(url))), err
	})
	if err != nil {
		t.Fatal(err)
	}
	inline := filepath.Join(dir, "alertmanager-0.25.yml")
	if err := os.WriteFile(inline, []byte(inlined), 0o600); err != nil {
		t.Fatal(err)
	}
	return inline
}

func TestGeneratedConfigsPassPromtoolAndAmtool(t *testing.T) {
	for _, fixture := range []string{"testdata/full.toml", "testdata/example.toml"} {
		t.Run(filepath.Base(fixture), func(t *testing.T) {
			dir := migrateTo(t, fixture)
			runTool(t, "promtool", "check", "config", filepath.Join(dir, "prometheus.yml"))
			runTool(t, "amtool", "check-config", amtoolConfig(t, dir))
		})
	}
}

// TestScrapeTimeoutCoversLongTimeouts: a long timeout_s needs a longer
// scrape timeout and interval than the defaults (promtool rejects a timeout
// above the interval); one beyond the exporter's limit is capped.
func TestScrapeTimeoutCoversLongTimeouts(t *testing.T) {
	for _, tt := range []struct {
		timeoutS, scrape string
	}{
		{"40", "41s"},
		{"900", "5m1s"}, // capped at config.MaxTimeout
	} {
		fixture := filepath.Join(t.TempDir(), "slow.toml")
		if err := os.WriteFile(fixture, []byte("[instances.slow]\nurl = \"https://slow.example.org\"\ntoken_env = \"T\"\ntimeout_s = "+tt.timeoutS+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		dir := migrateTo(t, fixture)
		runTool(t, "promtool", "check", "config", filepath.Join(dir, "prometheus.yml"))
		probe := readProbeJob(t, dir)
		if probe.ScrapeTimeout != tt.scrape || probe.ScrapeInterval != tt.scrape {
			t.Errorf("timeout_s %s: scrape_timeout %q, scrape_interval %q; want %s", tt.timeoutS, probe.ScrapeTimeout, probe.ScrapeInterval, tt.scrape)
		}
		t.Setenv("T", "token")
		if _, err := config.Load(filepath.Join(dir, "chap.yml"), prober.KindsOf); err != nil {
			t.Errorf("timeout_s %s: chap.yml: %v", tt.timeoutS, err)
		}
	}
}

type probeJob struct {
	ScrapeInterval string `yaml:"scrape_interval"`
	ScrapeTimeout  string `yaml:"scrape_timeout"`
	StaticConfigs  []struct {
		Targets []string          `yaml:"targets"`
		Labels  map[string]string `yaml:"labels"`
	} `yaml:"static_configs"`
}

// readProbeJob reads the chap_probe job and the exporter's job of prometheus.yml.
func readProbeJob(t *testing.T, dir string) probeJob {
	t.Helper()
	jobs := readJobs(t, dir)
	return jobs["chap_probe"]
}

func readJobs(t *testing.T, dir string) map[string]probeJob {
	t.Helper()
	content, err := os.ReadFile(filepath.Join(dir, "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		ScrapeConfigs []struct {
			JobName  string `yaml:"job_name"`
			probeJob `yaml:",inline"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(content, &cfg); err != nil {
		t.Fatal(err)
	}
	jobs := map[string]probeJob{}
	for _, j := range cfg.ScrapeConfigs {
		jobs[j.JobName] = j.probeJob
	}
	return jobs
}

// TestRoutesPerInstance sends, for every target of the generated
// prometheus.yml with its own labels, a fail-level and a warn-level alert
// through `amtool config routes test` and compares the receivers with what
// chap-checker would have notified: the instance's alerts whose notify_on
// has the level.
func TestRoutesPerInstance(t *testing.T) {
	// receivers per target: fail/error-level alert, warn-level alert.
	// full.toml: slack notify_on fail,error,warn; ops-webhook fail,error; audit fail; team-warn warn.
	tests := map[string]map[string][2]string{
		"testdata/full.toml": {
			"prod":         {"ops-webhook,slack", "slack"},
			"staging":      {"audit,ops-webhook", "null"},
			"token-inline": {"null", "team-warn"},
			"token-env":    {"slack", "slack,team-warn"},
			"nepal-ocs":    {"slack", "slack"},
			"quiet":        {"null", "null"},
		},
		"testdata/example.toml": {
			"prod":    {"slack", "slack"},
			"staging": {"null", "null"},
		},
	}
	for fixture, want := range tests {
		t.Run(filepath.Base(fixture), func(t *testing.T) {
			dir := migrateTo(t, fixture)
			amcfg := amtoolConfig(t, dir)
			job := readProbeJob(t, dir)
			var seen []string
			for _, group := range job.StaticConfigs {
				for _, target := range group.Targets {
					seen = append(seen, target)
					w, ok := want[target]
					if !ok {
						t.Errorf("unexpected target %s", target)
						continue
					}
					for i, severity := range []string{"critical", "info"} {
						alertname := map[string]string{"critical": "ChapCoreDown", "info": "ChapCheckWarning"}[severity]
						labels := matchers(map[string]string{"alertname": alertname, "job": "chap_probe", "instance": target,
							"check": "dhis2_chap_ping", "severity": severity}, group.Labels)
						got := strings.TrimSpace(runTool(t, "amtool", append([]string{"config", "routes", "test", "--config.file=" + amcfg}, labels...)...))
						if got != w[i] {
							t.Errorf("%s, %s alert (labels %v): routed to %q, want %q", target, severity, group.Labels, got, w[i])
						}
					}
				}
			}
			if len(seen) != len(want) {
				t.Errorf("targets %v, want %d", seen, len(want))
			}
		})
	}
}

// TestExporterDownReachesEveryAlerter: ChapExporterDown (severity warning)
// on the exporter's own job reaches every alerter whose notify_on has fail or
// error.
func TestExporterDownReachesEveryAlerter(t *testing.T) {
	dir := migrateTo(t, "testdata/full.toml")
	self := readJobs(t, dir)["chap_exporter"]
	if len(self.StaticConfigs) != 1 {
		t.Fatalf("chap_exporter job: %+v", self)
	}
	labels := matchers(map[string]string{"alertname": "ChapExporterDown", "job": "chap_exporter", "instance": "127.0.0.1:9977",
		"severity": "warning"}, self.StaticConfigs[0].Labels)
	got := strings.TrimSpace(runTool(t, "amtool", append([]string{"config", "routes", "test", "--config.file=" + amtoolConfig(t, dir)}, labels...)...))
	if got != "audit,ops-webhook,slack" {
		t.Errorf("ChapExporterDown routed to %q, want audit,ops-webhook,slack", got)
	}
	if !slices.Contains(labels, `notify="audit,ops-webhook,slack,team-warn"`) {
		t.Errorf("exporter job labels %v, want notify=audit,ops-webhook,slack,team-warn", labels)
	}
}

// matchers renders label sets as amtool's arguments, values double-quoted
// as both its classic (0.25) and its UTF-8 (0.27+) parser read them.
func matchers(sets ...map[string]string) []string {
	var out []string
	for _, set := range sets {
		for k, v := range set {
			out = append(out, fmt.Sprintf("%s=%q", k, v))
		}
	}
	return out
}

// TestAuthorizationHeaders: Bearer-like schemes become http_config
// authorization, Basic becomes basic_auth, both with their secret in a file;
// a header of another shape is reported. amtool accepts the result.
func TestAuthorizationHeaders(t *testing.T) {
	out := filepath.Join(t.TempDir(), "migrated")
	var stdout, stderr bytes.Buffer
	if code := Run(RunOptions{From: "testdata/headers.toml", Out: out, LookupEnv: lookupNothing, Stdout: &stdout, Stderr: &stderr}); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if strings.Contains(stdout.String(), "CANARY") {
		t.Errorf("stdout shows a secret:\n%s", stdout.String())
	}
	if want := `alerts.odd.headers.Authorization: not of the form "<scheme> <credentials>"; set http_config by hand`; !strings.Contains(stdout.String(), want) {
		t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
	}
	runTool(t, "amtool", "check-config", amtoolConfig(t, out))

	content, err := os.ReadFile(filepath.Join(out, "alertmanager.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(content), "CANARY") {
		t.Errorf("alertmanager.yml holds a secret:\n%s", content)
	}
	var cfg struct {
		Receivers []struct {
			Name           string `yaml:"name"`
			WebhookConfigs []struct {
				HTTPConfig map[string]map[string]string `yaml:"http_config"`
			} `yaml:"webhook_configs"`
		} `yaml:"receivers"`
	}
	if err := yaml.Unmarshal(content, &cfg); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range cfg.Receivers {
		for _, w := range r.WebhookConfigs {
			for kind, settings := range w.HTTPConfig {
				desc := kind
				for _, k := range []string{"type", "username"} {
					if v, ok := settings[k]; ok {
						desc += " " + k + "=" + v
					}
				}
				for _, k := range []string{"credentials_file", "password_file"} {
					if path, ok := settings[k]; ok {
						b, err := os.ReadFile(path)
						if err != nil {
							t.Error(err)
						}
						desc += " " + k + "=" + strings.TrimSpace(string(b))
					}
				}
				got[r.Name] = desc
			}
		}
	}
	want := map[string]string{
		"bearer": "authorization type=Token credentials_file=CANARY-token",
		"basic":  "basic_auth username=hook-user password_file=CANARY-basic-password",
	}
	if len(got) != len(want) || got["bearer"] != want["bearer"] || got["basic"] != want["basic"] {
		t.Errorf("http_config per receiver:\n got %q\nwant %q", got, want)
	}
}
