// Package alerting holds the alerting bundle: the Prometheus rules and
// recording rules, the Alertmanager configuration and its message templates,
// with their promtool and amtool tests and the end-to-end tests that run them
// on a real Prometheus and Alertmanager.
//
// The files are embedded so that `chap_exporter migrate` writes the same
// files next to the configuration it generates. The exporter itself sends no
// notifications: alerting is Prometheus and Alertmanager's job.
package alerting
