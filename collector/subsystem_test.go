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
# HELP chap_core_subsystem_up 1 when the chap-core subsystem (db, redis, celery) reports ok on /health/ready, else 0; present only when dhis2_chap_ready got an answer.
# TYPE chap_core_subsystem_up gauge
chap_core_subsystem_up{subsystem="celery"} 0
chap_core_subsystem_up{subsystem="db"} 1
chap_core_subsystem_up{subsystem="redis"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "chap_core_subsystem_up"); err != nil {
		t.Error(err)
	}
	assertLintClean(t, reg)
	if n := testutil.CollectAndCount(collector.NewProbe(healthy), "chap_core_subsystem_up"); n != 0 {
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
