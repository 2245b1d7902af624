// Command chap_exporter probes DHIS2 servers and the chap-core behind their
// route, Open Climate Service deployments and chapkit services,
// blackbox_exporter style, on /probe?target=NAME.
//
// Its subcommands are the server (the default), `check` (one run of every
// target's chain, for cron and debugging) and `migrate` (a chap-checker TOML
// file carried over). This package only parses flags, handles signals and
// wires config, prober, server, report and migrate together.
package main
