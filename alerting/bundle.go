package alerting

import "embed"

// Bundle holds rules.yml, alertmanager.yml and templates/*.tmpl.
//
//go:embed rules.yml alertmanager.yml templates/*.tmpl
var Bundle embed.FS
