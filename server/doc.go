// Package server is the exporter's HTTP surface: /probe, /status, the status
// pages and badges, /sd, the landing page, /metrics, /config, health and
// reload endpoints.
//
// It owns the loaded configuration and its probers and swaps them atomically
// on reload. It admits requests, runs probes through prober.ProbeShared and
// writes what collector, report and dashboard make of the results; the side
// effects of a run (log line, history, run-time histogram) happen once, in
// its OnRun hook.
package server
