// Package bench holds the benchmarks of the exporter's own cost per probe.
// The simulator runs in a child process (see internal/simfarm) so that CPU
// time and allocations measured here are the exporter's alone.
package bench
