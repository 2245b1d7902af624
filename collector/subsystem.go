package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dhis2-chap/chap_exporter/prober"
)

var subsystemUpDesc = prometheus.NewDesc("chap_core_subsystem_up",
	"1 when the chap-core subsystem (db, redis, celery) reports ok on /health/ready, else 0; present only when dhis2_chap_ready got an answer.",
	[]string{"subsystem"}, nil)

// collectSubsystems emits one series per subsystem a check inspected; a
// subsystem reported by two checks counts once, from the first.
func collectSubsystems(ch chan<- prometheus.Metric, r *prober.Report) {
	seen := map[string]bool{}
	for _, res := range r.Checks {
		for name, state := range res.Subsystems {
			if seen[name] {
				continue
			}
			seen[name] = true
			ch <- prometheus.MustNewConstMetric(subsystemUpDesc, prometheus.GaugeValue, boolFloat(prober.SubsystemUp(state)), name)
		}
	}
}
