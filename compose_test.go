package chapexporter

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/dhis2-chap/chap_exporter/internal/testkit"
)

const composeFile = "examples/compose/compose.yaml"

// composeService is the part of a service in `docker-compose config` output the test reads.
type composeService struct {
	Image   string   `yaml:"image"`
	Command []string `yaml:"command"`
	Volumes []any    `yaml:"volumes"`
}

// bind is a bind mount of a service: an existing host path and its path in the container.
type bind struct{ source, target string }

// binds returns the service's bind mounts (named volumes are skipped), from either
// form docker-compose prints: "source:target[:mode]" or a mapping.
func (s composeService) binds(t *testing.T) []bind {
	t.Helper()
	var out []bind
	for _, v := range s.Volumes {
		switch v := v.(type) {
		case string:
			parts := strings.Split(v, ":")
			if len(parts) >= 2 && filepath.IsAbs(parts[0]) {
				out = append(out, bind{parts[0], parts[1]})
			}
		case map[string]any:
			if v["type"] == "bind" {
				out = append(out, bind{v["source"].(string), v["target"].(string)})
			}
		}
	}
	return out
}

// composeConfig validates the compose file with `docker-compose config` (no daemon
// needed) and returns its services as compose resolved them. Any warning fails.
func composeConfig(t *testing.T) map[string]composeService {
	t.Helper()
	cmd := exec.Command(testkit.RequireTool(t, "docker-compose"), "-f", composeFile, "config")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("docker-compose config: %v\n%s", err, stderr.String())
	}
	var cfg struct {
		Services map[string]composeService `yaml:"services"`
	}
	if err := yaml.Unmarshal(stdout.Bytes(), &cfg); err != nil {
		t.Fatalf("docker-compose config output: %v\n%s", err, stdout.String())
	}
	return cfg.Services
}

// mountInto copies the service's bind mounts into root at their container paths, so
// that the files can be checked as the container sees them.
func mountInto(t *testing.T, root string, s composeService) {
	t.Helper()
	for _, b := range s.binds(t) {
		info, err := os.Stat(b.source)
		if err != nil {
			t.Fatalf("bind mount source %s: %v", b.source, err)
		}
		dst := filepath.Join(root, b.target)
		if info.IsDir() {
			err = os.CopyFS(dst, os.DirFS(b.source))
		} else if err = os.MkdirAll(filepath.Dir(dst), 0o755); err == nil {
			var data []byte
			if data, err = os.ReadFile(b.source); err == nil {
				err = os.WriteFile(dst, data, 0o644)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestComposeServices(t *testing.T) {
	services := composeConfig(t)
	for _, name := range []string{"chap-exporter", "prometheus", "alertmanager", "grafana"} {
		s, ok := services[name]
		if !ok {
			t.Errorf("no service %s", name)
			continue
		}
		if !strings.Contains(s.Image, ":") || strings.HasSuffix(s.Image, ":latest") {
			t.Errorf("service %s: image %q has no pinned tag", name, s.Image)
		}
	}
	if !slices.Contains(services["alertmanager"].Command, "--data.retention=8760h") {
		t.Errorf("alertmanager command %v lacks --data.retention=8760h (repeat_interval is a year)", services["alertmanager"].Command)
	}
	wantMounts := map[string][]string{
		"prometheus":   {"alerting/rules.yml"},
		"alertmanager": {"alerting/alertmanager.yml", "alerting/templates"},
		"grafana":      {"examples/grafana/chap-overview.json"},
	}
	for name, files := range wantMounts {
		for _, f := range files {
			abs, _ := filepath.Abs(f)
			if !slices.ContainsFunc(services[name].binds(t), func(b bind) bool { return b.source == abs }) {
				t.Errorf("service %s does not mount %s", name, f)
			}
		}
	}
}

// TestComposePrometheusConfig checks the compose Prometheus configuration with
// promtool, with the files mounted where compose.yaml puts them: it must find and
// load the chap_exporter rules.
func TestComposePrometheusConfig(t *testing.T) {
	promtool := testkit.RequireTool(t, "promtool")
	testkit.ToolVersion(t, "promtool")
	s := composeConfig(t)["prometheus"]
	root := t.TempDir()
	mountInto(t, root, s)
	cfgPath := filepath.Join(root, "etc/prometheus/prometheus.yml")
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatalf("compose mounts no /etc/prometheus/prometheus.yml: %v", err)
	}
	if !slices.Contains(s.Command, "--config.file=/etc/prometheus/prometheus.yml") {
		t.Errorf("prometheus command %v does not use /etc/prometheus/prometheus.yml", s.Command)
	}
	rewritten := strings.ReplaceAll(string(data), " /etc/prometheus/", " "+root+"/etc/prometheus/")
	if err := os.WriteFile(cfgPath, []byte(rewritten), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "check", "config", cfgPath).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "chap_exporter.yml") || !strings.Contains(string(out), "rules found") {
		t.Errorf("promtool did not load the chap_exporter rules:\n%s", out)
	}
}

// TestComposeAlertmanagerConfig checks the compose Alertmanager configuration with
// amtool, with the files mounted where compose.yaml puts them and test secret files.
// With Debian's amtool 0.25 it checks the documented 0.25 variant (no webhook url_file);
// make test-current checks it unchanged with amtool 0.35, the image compose pins.
func TestComposeAlertmanagerConfig(t *testing.T) {
	amtool := testkit.RequireTool(t, "amtool")
	version := testkit.ToolVersion(t, "amtool")
	s := composeConfig(t)["alertmanager"]
	root := t.TempDir()
	mountInto(t, root, s)
	secrets := filepath.Join(root, "etc/prometheus/secrets")
	if err := os.MkdirAll(secrets, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"slack_api_url", "webhook_url"} {
		if err := os.WriteFile(filepath.Join(secrets, f), []byte("http://127.0.0.1:9/"+f+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfgPath := filepath.Join(root, "etc/alertmanager/alertmanager.yml")
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatalf("compose mounts no /etc/alertmanager/alertmanager.yml: %v", err)
	}
	cfg := strings.ReplaceAll(string(data), " /etc/prometheus/secrets/", " "+secrets+"/")
	if !testkit.HasWebhookURLFile(version) {
		t.Log("amtool is older than 0.26: checking the documented Alertmanager 0.25 change")
		if cfg, err = testkit.ForAlertmanager025(cfg, "http://127.0.0.1:9/webhook"); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(amtool, "check-config", cfgPath).CombinedOutput()
	if err != nil {
		t.Fatalf("amtool check-config: %v\n%s", err, out)
	}
	// alertmanager.yml loads templates/*.tmpl relative to itself.
	if _, err := os.Stat(filepath.Join(root, "etc/alertmanager/templates/chap.tmpl")); err != nil {
		t.Errorf("compose mounts no templates next to alertmanager.yml: %v", err)
	}
	if !strings.Contains(string(out), "1 templates") {
		t.Errorf("amtool did not check the templates:\n%s", out)
	}
}

// TestComposeGrafanaProvisioning checks that Grafana's provisioned data source points
// at the compose Prometheus and that the dashboard provider reads the mounted dashboard.
func TestComposeGrafanaProvisioning(t *testing.T) {
	services := composeConfig(t)
	root := t.TempDir()
	mountInto(t, root, services["grafana"])
	var ds struct {
		Datasources []struct{ Type, URL string } `yaml:"datasources"`
	}
	readYAML(t, filepath.Join(root, "etc/grafana/provisioning/datasources/prometheus.yml"), &ds)
	if len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].URL != "http://prometheus:9090" {
		t.Errorf("provisioned data sources %+v, want one prometheus at http://prometheus:9090", ds.Datasources)
	}
	var dash struct {
		Providers []struct {
			Options struct{ Path string } `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, filepath.Join(root, "etc/grafana/provisioning/dashboards/chap.yml"), &dash)
	if len(dash.Providers) != 1 {
		t.Fatalf("dashboard providers %+v, want 1", dash.Providers)
	}
	if _, err := os.Stat(filepath.Join(root, dash.Providers[0].Options.Path, "chap-overview.json")); err != nil {
		t.Errorf("the dashboard provider's path %s has no chap-overview.json: %v", dash.Providers[0].Options.Path, err)
	}
}

func readYAML(t *testing.T, path string, out any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, out); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
