// Command scale measures the exporter under a realistic load: many targets,
// each scraped at a fixed interval by several scrapers (Prometheus replicas)
// at independent offsets. It runs the real chap_exporter binary, the
// simulators in a child process (one TLS listener per target, so every
// target is its own DHIS2 host), and the scrapers itself, and prints the
// exporter's CPU share, its peak RSS, the probe overhead over the critical
// path and the requests each DHIS2 received per scrape interval.
//
//	make build && go run ./internal/cmd/scale --exporter=.build/chap_exporter
//
// It is not part of the test suite (`make scale` runs it): the default run
// takes warm-up plus two minutes. See BENCHMARKS.md for the figures.
package main
