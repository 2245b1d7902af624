package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dhis2-chap/chap_exporter/prober"
)

// Descriptors of the /probe metrics, built once.
var (
	probeSuccessDesc = prometheus.NewDesc("probe_success",
		"1 when every selected check is ok or warn, else 0.", nil, nil)
	probeDurationDesc = prometheus.NewDesc("probe_duration_seconds",
		"Wall time of the whole check chain.", nil, nil)
	probeTimeoutDesc = prometheus.NewDesc("probe_timeout_seconds",
		"Time budget the probe ran under.", nil, nil)
	resultAgeDesc = prometheus.NewDesc("probe_result_age_seconds",
		"Age of the results served: seconds since the probe that produced them finished. Results may be cached: with the target's min_interval set, "+
			"a scrape within that interval of the last probe is served that probe's results. 0 when the probe ran for this scrape.", nil, nil)
	certExpiryDesc = prometheus.NewDesc("probe_ssl_earliest_cert_expiry",
		"Unix time at which the earliest certificate the target presented expires.", nil, nil)
	checkUpDesc = prometheus.NewDesc("chap_check_up",
		"1 when the check is ok or warn, 0 when it failed, errored or was skipped.", []string{"check"}, nil)
	checkStatusDesc = prometheus.NewDesc("chap_check_status",
		"Status of the check, one series per status (ok, warn, fail, error, skipped) with value 1 for the current one.",
		[]string{"check", "status"}, nil)
	checkDurationDesc = prometheus.NewDesc("chap_check_duration_seconds",
		"Time the check took, 0 when it was skipped.", []string{"check"}, nil)
	checkHTTPStatusDesc = prometheus.NewDesc("chap_check_http_status_code",
		"Status code of the last HTTP response the check saw, 0 when none arrived.", []string{"check"}, nil)
	checkVersionDesc = prometheus.NewDesc("chap_check_version_info",
		"Version the check read, as labels; value is always 1.", []string{"check", "version", "revision"}, nil)
	checkFailureDesc = prometheus.NewDesc("chap_check_failure_info",
		"Why a failed or errored check failed, as a label; value is always 1.", []string{"check", "reason"}, nil)
)

// Probe exposes one probe report as metrics; register it in a fresh
// registry per /probe request.
type Probe struct {
	report *prober.Report
}

// NewProbe returns the collector for report.
func NewProbe(report *prober.Report) *Probe {
	return &Probe{report: report}
}

// Describe implements prometheus.Collector.
func (c *Probe) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		probeSuccessDesc, probeDurationDesc, probeTimeoutDesc, resultAgeDesc, certExpiryDesc,
		checkUpDesc, checkStatusDesc, checkDurationDesc, checkHTTPStatusDesc, checkVersionDesc, checkFailureDesc,
		subsystemUpDesc,
	} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. Every check's up, status,
// duration and status-code series are always present, so an alert never
// resolves because a series vanished.
func (c *Probe) Collect(ch chan<- prometheus.Metric) {
	r := c.report
	gauge := func(desc *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v, labels...)
	}
	gauge(probeSuccessDesc, boolFloat(r.Success()))
	gauge(probeDurationDesc, r.Duration.Seconds())
	gauge(probeTimeoutDesc, r.Timeout.Seconds())
	gauge(resultAgeDesc, r.Age.Seconds())
	if !r.CertExpiry.IsZero() {
		gauge(certExpiryDesc, float64(r.CertExpiry.Unix()))
	}
	for _, res := range r.Checks {
		gauge(checkUpDesc, boolFloat(res.Status.Passed()), res.Check)
		for _, s := range prober.Statuses {
			gauge(checkStatusDesc, boolFloat(res.Status == s), res.Check, string(s))
		}
		gauge(checkDurationDesc, res.Duration.Seconds(), res.Check)
		gauge(checkHTTPStatusDesc, float64(res.HTTPStatusCode()), res.Check)
		if res.Version != "" {
			gauge(checkVersionDesc, 1, res.Check, res.Version, res.Revision)
		}
		if res.Status.Failing() {
			gauge(checkFailureDesc, 1, res.Check, string(res.Reason))
		}
	}
	collectSubsystems(ch, r)
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
