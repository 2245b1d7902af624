// Package collector turns probe results into Prometheus metrics: the
// per-scrape chap_* and probe_* series of one prober.Report (const metrics
// from descriptors built once) and the exporter's own counters and
// histograms.
//
// It does no I/O: every value comes from a prober.Report or from what the
// server tells it. It imports only prober from this module.
package collector
