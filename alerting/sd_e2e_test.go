package alerting

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/internal/testkit"
)

// TestServiceDiscoveryWithRealPrometheus runs the real Prometheus on
// examples/prometheus/prometheus-sd.yml (addresses and intervals shortened):
// it finds every target of the exporter's config through /sd, keeps the
// labels set in chap.yml, and scrapes /probe for each.
func TestServiceDiscoveryWithRealPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test with real Prometheus; runs in make test")
	}
	testkit.RequireTool(t, "prometheus")
	dir := t.TempDir()
	exporterBin, simBin := buildBinaries(t, dir)

	simAddr, exporterAddr, promAddr := testkit.FreeLoopbackAddr(t), testkit.FreeLoopbackAddr(t), testkit.FreeLoopbackAddr(t)
	startProc(t, dir, "dhis2sim", simBin, nil, "--web.listen-address="+simAddr)
	testkit.AwaitReady(t, "dhis2sim", "http://"+simAddr+"/__sim/state")

	writeFile(t, filepath.Join(dir, "chap.yml"), fmt.Sprintf(`targets:
  prod:
    url: http://%[1]s
    auth: {username: admin, password_env: SIM_PASSWORD}
    labels: {env: prod, notify: "slack,webhook"}
  staging:
    url: http://%[1]s
    auth: {username: admin, password_env: SIM_PASSWORD}
    labels: {env: staging}
`, simAddr))
	startProc(t, dir, "chap_exporter", exporterBin, []string{"SIM_PASSWORD=district"},
		"--config.file="+filepath.Join(dir, "chap.yml"), "--web.listen-address="+exporterAddr)
	testkit.AwaitReady(t, "chap_exporter", "http://"+exporterAddr+"/-/ready")

	cfg := readFile(t, "../examples/prometheus/prometheus-sd.yml")
	cfg = replaceAll(t, "prometheus-sd.yml", cfg, "chap-exporter.example.org:9977", exporterAddr, 3)
	cfg = replaceAll(t, "prometheus-sd.yml", cfg, "scrape_interval: 60s", "scrape_interval: 1s", 1)
	cfg = replaceAll(t, "prometheus-sd.yml", cfg, "scrape_timeout: 15s", "scrape_timeout: 1s", 1)
	cfg = replaceAll(t, "prometheus-sd.yml", cfg, "refresh_interval: 5m", "refresh_interval: 1s", 1)
	promConfig := filepath.Join(dir, "prometheus.yml")
	writeFile(t, promConfig, cfg)
	startProc(t, dir, "prometheus", "prometheus", nil,
		"--config.file="+promConfig,
		"--storage.tsdb.path="+filepath.Join(dir, "prometheus-data"),
		"--web.listen-address="+promAddr)
	testkit.AwaitReady(t, "prometheus", "http://"+promAddr+"/-/ready")

	prom := &stack{t: t, promURL: "http://" + promAddr}
	for _, expr := range []string{
		`probe_success{job="chap_probe",instance="prod",env="prod",notify="slack,webhook"} == 1`,
		`probe_success{job="chap_probe",instance="staging",env="staging"} == 1`,
		`up{job="chap_exporter"} == 1`,
	} {
		testkit.Eventually(t, expr, 30*time.Second, func() error { return prom.expectSeries(expr) })
	}
	if err := prom.expectSeries(`count(probe_success{job="chap_probe"}) == 2`); err != nil {
		t.Errorf("Prometheus scrapes other than the two configured targets: %v", err)
	}
}
