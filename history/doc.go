// Package history keeps a bounded, in-memory record of the probes that ran,
// for the status page: per target and check, 48 half-hour buckets (the last
// 24 hours), the current state and since when, the recent incidents and the
// latest report.
//
// The server records each chain run once, from the prober's OnRun hook. The
// history resets when the exporter restarts; Prometheus keeps the long
// history.
package history
