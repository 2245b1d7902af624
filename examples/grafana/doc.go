// Package grafana reads the example Grafana dashboard for chap_exporter
// (chap-overview.json in this directory) and extracts its PromQL queries with
// the Grafana variables replaced by runnable values, so that tests can run
// every query against a real Prometheus. It uses only the standard library.
package grafana
