// Package validate holds tests that check the examples against the real upstream
// types and parsers: the Kubernetes manifests against k8s.io/api and the Prometheus
// Operator's monitoring API, the Grafana dashboard against the dashboard linter's
// default rules with Prometheus's own PromQL parser. It is a module of its own so
// that chap_exporter's binary does not depend on any of them; it has no other code.
package validate

import "github.com/prometheus/prometheus/promql/parser"

// promql is Prometheus's PromQL parser with its default options, as Prometheus itself
// parses rules and queries.
var promql = parser.NewParser(parser.Options{})
