package collector_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/dhis2-chap/chap_exporter/collector"
	"github.com/dhis2-chap/chap_exporter/prober"
)

func TestSubsystemUp(t *testing.T) {
	ready := check("dhis2_chap_ready", prober.StatusFail, prober.ReasonNotReady, 30, 503)
	ready.Subsystems = map[string]string{"db": "ok", "redis": "healthy", "celery": "error: no workers responded"}
	report := &prober.Report{Target: "prod", Duration: time.Second, Timeout: time.Second, Checks: []prober.Result{
		check("dhis2_chap_ping", prober.StatusOK, "", 20, 200),
		ready,
	}}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(collector.NewProbe(report))
	want := `
# HELP chap_check_subsystem_up 1 when a part a check inspected reports ok or healthy, else 0: chap-core's db, redis and celery on /health/ready (dhis2_chap_ready), a chapkit service's health checks (chapkit_health), an Open Climate Service's (ocs_health). Present only when the check got an answer; at most 64 per check.
# TYPE chap_check_subsystem_up gauge
chap_check_subsystem_up{check="dhis2_chap_ready",subsystem="celery"} 0
chap_check_subsystem_up{check="dhis2_chap_ready",subsystem="db"} 1
chap_check_subsystem_up{check="dhis2_chap_ready",subsystem="redis"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "chap_check_subsystem_up"); err != nil {
		t.Error(err)
	}
	assertLintClean(t, reg)
	if n := testutil.CollectAndCount(collector.NewProbe(healthy), "chap_check_subsystem_up"); n != 0 {
		t.Errorf("%d subsystem series without dhis2_chap_ready, want 0", n)
	}
}

// assertLintClean fails the test for every problem promlint finds in reg.
func assertLintClean(t *testing.T, reg prometheus.Gatherer) {
	t.Helper()
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}
