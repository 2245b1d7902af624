package collector_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/dhis2-chap/chap_exporter/collector"
	"github.com/dhis2-chap/chap_exporter/prober"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func check(name string, status prober.Status, reason prober.Reason, ms int, code int) prober.Result {
	r := prober.Result{Check: name, Status: status, Reason: reason, Duration: time.Duration(ms) * time.Millisecond}
	if code != 0 {
		r.Requests = []prober.Request{{Path: "/x", StatusCode: code}}
	}
	return r
}

func versioned(r prober.Result, version, revision string) prober.Result {
	r.Version, r.Revision = version, revision
	return r
}

var (
	healthy = &prober.Report{
		Target:     "prod",
		Duration:   210 * time.Millisecond,
		Timeout:    9500 * time.Millisecond,
		CertExpiry: time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC),
		Checks: []prober.Result{
			check("dhis2_ping", prober.StatusOK, "", 50, 200),
			check("http_2xx", prober.StatusOK, "", 30, 200),
			check("dhis2_chap_route", prober.StatusOK, "", 50, 200),
			versioned(check("dhis2_system_info", prober.StatusOK, "", 40, 200), "2.42.1", "a1b2c3d"),
			versioned(check("dhis2_chap_climate_app", prober.StatusOK, "", 60, 200), "1.4.2", ""),
			versioned(check("dhis2_chap_modeling_app", prober.StatusOK, "", 60, 200), "6.3.0", ""),
			check("dhis2_chap_ping", prober.StatusOK, "", 50, 200),
			versioned(check("dhis2_chap_system_info", prober.StatusOK, "", 60, 200), "2.1.0", "c12ec120"),
		},
	}
	broken = &prober.Report{
		Target:   "prod",
		Duration: 120 * time.Millisecond,
		Timeout:  10 * time.Second,
		Checks: []prober.Result{
			check("dhis2_ping", prober.StatusOK, "", 50, 200),
			check("http_2xx", prober.StatusError, prober.ReasonPanic, 1, 0),
			check("dhis2_chap_route", prober.StatusWarn, prober.ReasonDisabled, 50, 200),
			check("dhis2_system_info", prober.StatusWarn, prober.ReasonNoVersion, 40, 200),
			check("dhis2_chap_climate_app", prober.StatusFail, prober.ReasonMissing, 60, 200),
			versioned(check("dhis2_chap_modeling_app", prober.StatusOK, "", 60, 200), "6.3.0", ""),
			check("dhis2_chap_ping", prober.StatusFail, prober.ReasonUpstreamDown, 50, 502),
			check("dhis2_chap_system_info", prober.StatusSkipped, prober.ReasonRequirementUnmet, 0, 0),
		},
	}
)

// withSubsystems returns r carrying the states of the parts it inspected.
func withSubsystems(r prober.Result, states map[string]string) prober.Result {
	r.Subsystems = states
	return r
}

var (
	// ocs is an Open Climate Service whose /info is missing.
	ocs = &prober.Report{
		Target:     "nepal-ocs",
		Duration:   80 * time.Millisecond,
		Timeout:    9500 * time.Millisecond,
		CertExpiry: time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC),
		Checks: []prober.Result{
			check("http_2xx", prober.StatusOK, "", 30, 200),
			check("ocs_health", prober.StatusOK, "", 20, 200),
			check("ocs_info", prober.StatusFail, prober.ReasonNotFound, 40, 404),
		},
	}
	// ocsHealthy is the same service with its version.
	ocsHealthy = &prober.Report{
		Target:   "nepal-ocs",
		Duration: 60 * time.Millisecond,
		Timeout:  9500 * time.Millisecond,
		Checks: []prober.Result{
			check("http_2xx", prober.StatusOK, "", 30, 200),
			check("ocs_health", prober.StatusOK, "", 20, 200),
			versioned(check("ocs_info", prober.StatusOK, "", 40, 200), "0.1.0", ""),
		},
	}
	// chapkit is a model service whose redis check is degraded (200, as chapkit answers).
	chapkit = &prober.Report{
		Target:   "ewars-model",
		Duration: 25 * time.Millisecond,
		Timeout:  9500 * time.Millisecond,
		Checks: []prober.Result{
			withSubsystems(check("chapkit_health", prober.StatusWarn, prober.ReasonNotReady, 25, 200),
				map[string]string{"database": "healthy", "redis": "degraded"}),
		},
	}
)

func TestProbeMetricsMatchGoldenFiles(t *testing.T) {
	tests := []struct {
		name   string
		report *prober.Report
	}{
		{"healthy", healthy},
		{"broken", broken},
		{"ocs", ocs},
		{"ocs-healthy", ocsHealthy},
		{"chapkit", chapkit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewPedanticRegistry()
			reg.MustRegister(collector.NewProbe(tt.report))
			golden := filepath.Join("testdata", tt.name+".prom")
			if *update {
				writeGolden(t, reg, golden)
			}
			f, err := os.Open(golden)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := testutil.GatherAndCompare(reg, f); err != nil {
				t.Error(err)
			}
			assertLintClean(t, reg)
		})
	}
}

func writeGolden(t *testing.T, reg *prometheus.Registry, path string) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestEveryStatusSeriesIsAlwaysPresent(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector.NewProbe(broken))
	want := len(broken.Checks) * len(prober.Statuses)
	if got := testutil.CollectAndCount(collector.NewProbe(broken), "chap_check_status"); got != want {
		t.Errorf("chap_check_status has %d series, want %d (every status of every check)", got, want)
	}
	for name, want := range map[string]int{"chap_check_failure_info": 3, "chap_check_version_info": 1, "probe_ssl_earliest_cert_expiry": 0} {
		if got := testutil.CollectAndCount(collector.NewProbe(broken), name); got != want {
			t.Errorf("%s has %d series, want %d", name, got, want)
		}
	}
}

func TestExporterMetricsLint(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	e := collector.NewExporter(reg, "https://chap-exporter.example.org")
	e.CountProbe(healthy)
	e.CountProbe(broken)
	e.ObserveRun(healthy)
	e.TimeoutHeaderIgnored()
	e.Rejected("unknown_target")
	e.ConfigLoaded(true, time.Unix(1_700_000_000, 0), 2)
	assertLintClean(t, reg)
	want := `
# HELP chap_exporter_probes_total Probes run, by target and result (success or failure).
# TYPE chap_exporter_probes_total counter
chap_exporter_probes_total{result="failure",target="prod"} 1
chap_exporter_probes_total{result="success",target="prod"} 1
# HELP chap_exporter_web_external_url_info The URL under which people reach the exporter (--web.external-url), for links in alerts.
# TYPE chap_exporter_web_external_url_info gauge
chap_exporter_web_external_url_info{url="https://chap-exporter.example.org"} 1
# HELP chap_exporter_config_last_reload_successful 1 if the last configuration load succeeded.
# TYPE chap_exporter_config_last_reload_successful gauge
chap_exporter_config_last_reload_successful 1
# HELP chap_exporter_config_last_reload_success_timestamp_seconds Unix time of the last successful configuration load.
# TYPE chap_exporter_config_last_reload_success_timestamp_seconds gauge
chap_exporter_config_last_reload_success_timestamp_seconds 1.7e+09
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "chap_exporter_probes_total",
		"chap_exporter_config_last_reload_successful", "chap_exporter_config_last_reload_success_timestamp_seconds",
		"chap_exporter_web_external_url_info"); err != nil {
		t.Error(err)
	}
}
