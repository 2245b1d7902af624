// Package alerting holds the alerting bundle: the Prometheus rules, the
// Alertmanager configuration and its message templates. They are embedded so
// that `chap_exporter migrate` writes the same files next to the
// configuration it generates.
package alerting

import "embed"

// Bundle holds rules.yml, alertmanager.yml and templates/*.tmpl.
//
//go:embed rules.yml alertmanager.yml templates/*.tmpl
var Bundle embed.FS
