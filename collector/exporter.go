package collector

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"

	"github.com/dhis2-chap/chap_exporter/prober"
)

// Exporter holds the exporter's own metrics, served on /metrics.
type Exporter struct {
	probes               *prometheus.CounterVec
	probeDuration        *prometheus.HistogramVec
	rejected             *prometheus.CounterVec
	timeoutHeaderIgnored prometheus.Counter
	reloadOK             prometheus.Gauge
	reloadOKTime         prometheus.Gauge
	configuredTgts       prometheus.Gauge
}

// NewExporter creates the exporter's metrics and registers them, with build
// info, the external URL and the Go and process collectors, in reg.
func NewExporter(reg prometheus.Registerer, externalURL string) *Exporter {
	e := &Exporter{
		probes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chap_exporter_probes_total",
			Help: "Probes run, by target and result (success or failure).",
		}, []string{"target", "result"}),
		probeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "chap_exporter_probe_duration_seconds",
			Help:    "Wall time of probes, by target.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"target"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chap_exporter_probe_requests_rejected_total",
			Help: "/probe requests refused before probing, by reason (missing_target, unknown_target, bad_request, method_not_allowed, too_many_requests).",
		}, []string{"reason"}),
		timeoutHeaderIgnored: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chap_exporter_scrape_timeout_header_ignored_total",
			Help: "Scrapes whose X-Prometheus-Scrape-Timeout-Seconds was not a finite positive number; the target's timeout was used.",
		}),
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chap_exporter_config_last_reload_successful",
			Help: "1 if the last configuration load succeeded.",
		}),
		reloadOKTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chap_exporter_config_last_reload_success_timestamp_seconds",
			Help: "Unix time of the last successful configuration load.",
		}),
		configuredTgts: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "chap_exporter_targets",
			Help: "Number of targets in the loaded configuration.",
		}),
	}
	for _, reason := range []string{"missing_target", "unknown_target", "bad_request", "method_not_allowed", "too_many_requests"} {
		e.rejected.WithLabelValues(reason)
	}
	// Alert rules read the URL to put absolute links to the exporter in notifications.
	externalURLInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "chap_exporter_web_external_url_info",
		Help:        "The URL under which people reach the exporter (--web.external-url), for links in alerts.",
		ConstLabels: prometheus.Labels{"url": externalURL},
	})
	externalURLInfo.Set(1)
	reg.MustRegister(
		e.probes, e.probeDuration, e.rejected, e.timeoutHeaderIgnored, e.reloadOK, e.reloadOKTime, e.configuredTgts, externalURLInfo,
		versioncollector.NewCollector("chap_exporter"),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return e
}

// CountProbe counts a scrape's probe by result. A report served from the
// min_interval cache or shared with a concurrent scrape counts too.
func (e *Exporter) CountProbe(r *prober.Report) {
	result := "failure"
	if r.Success() {
		result = "success"
	}
	e.probes.WithLabelValues(r.Target, result).Inc()
}

// ObserveRun observes a chain run's duration; call it once per run, not
// per scrape that shared it.
func (e *Exporter) ObserveRun(r *prober.Report) {
	e.probeDuration.WithLabelValues(r.Target).Observe(r.Duration.Seconds())
}

// TimeoutHeaderIgnored counts a scrape timeout header that was not a finite
// positive number of seconds.
func (e *Exporter) TimeoutHeaderIgnored() {
	e.timeoutHeaderIgnored.Inc()
}

// Rejected counts a /probe request refused before probing.
func (e *Exporter) Rejected(reason string) {
	e.rejected.WithLabelValues(reason).Inc()
}

// ConfigLoaded records the outcome of a configuration (re)load.
func (e *Exporter) ConfigLoaded(ok bool, at time.Time, targets int) {
	if !ok {
		e.reloadOK.Set(0)
		return
	}
	e.reloadOK.Set(1)
	e.reloadOKTime.Set(float64(at.Unix()))
	e.configuredTgts.Set(float64(targets))
}

// NewHistoryBytes reports the estimated memory of the status page's
// in-memory history, which size returns.
func NewHistoryBytes(size func() int) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "chap_exporter_status_history_bytes",
		Help: "Estimated memory held by the status page's in-memory history (24 hours per target and check, incidents, latest reports).",
	}, func() float64 { return float64(size()) })
}
