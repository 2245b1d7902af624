#!/usr/bin/env bash
# Prints alerting/rules.yml as a Prometheus Operator PrometheusRule (the rule groups
# verbatim under spec:). `make kubernetes-rules` writes it to
# examples/kubernetes/prometheusrule.yaml; a test in examples/validate keeps the two in step.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rules=$repo/alerting/rules.yml
grep -q '^groups:$' "$rules" || {
	echo "gen-prometheusrule: $rules has no top-level 'groups:' line" >&2
	exit 1
}
cat <<'HEADER'
# GENERATED from alerting/rules.yml by `make kubernetes-rules`; do not edit here.
# The rules, their job scoping (chap_probe:up, chap_exporter:up) and the reasoning
# behind them are documented in alerting/rules.yml.
# kube-prometheus-stack only loads PrometheusRules labelled with its Helm release
# (release: <release name>) unless ruleSelectorNilUsesHelmValues is false.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: chap-exporter
  namespace: monitoring
  labels:
    app.kubernetes.io/name: chap-exporter
    release: kube-prometheus-stack
spec:
HEADER
# Everything from "groups:" on, indented under spec:; blank lines stay empty.
sed -n '/^groups:$/,$p' "$rules" | sed 's/^./  &/'
