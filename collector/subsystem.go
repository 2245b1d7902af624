package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dhis2-chap/chap_exporter/prober"
)

var subsystemUpDesc = prometheus.NewDesc("chap_check_subsystem_up",
	"1 when a part a check inspected reports ok or healthy, else 0: chap-core's db, redis and celery on /health/ready (dhis2_chap_ready), "+
		"a chapkit service's health checks (chapkit_health), an Open Climate Service's (ocs_health). Present only when the check got an answer; at most 64 per check.",
	[]string{"check", "subsystem"}, nil)

// collectSubsystems emits one series per part each check inspected; the
// prober bounds how many a check reports.
func collectSubsystems(ch chan<- prometheus.Metric, r *prober.Report) {
	for _, res := range r.Checks {
		for name, state := range res.Subsystems {
			ch <- prometheus.MustNewConstMetric(subsystemUpDesc, prometheus.GaugeValue, boolFloat(prober.SubsystemUp(state)), res.Check, name)
		}
	}
}
