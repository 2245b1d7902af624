// Package migrate carries a chap-checker setup (the Python tool's TOML file)
// over to chap_exporter: chap.yml for the exporter, prometheus.yml with the
// rules, alertmanager.yml with its templates, and the secret files they name.
// What cannot be carried is reported with the reason, never dropped.
//
// It reads the TOML strictly (every unknown key is an error with its line),
// plans every output before writing any, and writes secrets only to files of
// mode 0600, never to stdout or to the other files.
package migrate
