// Package simfarm runs many DHIS2 simulators, each on its own TLS listener
// on 127.0.0.1, in a child process. Benchmarks and the scale test use it so
// that the simulators' CPU time and allocations are not counted as the
// exporter's, and so that every target is a distinct host:port, as distinct
// DHIS2 servers are.
//
// The parent re-executes its own binary: a program (or TestMain) calls
// MaybeChild first thing, and Spawn starts the child and reads where the
// simulators listen.
package simfarm
