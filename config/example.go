package config

import _ "embed"

// Example is an annotated configuration covering every key, printed by
// `chap_exporter --config.example`. A test keeps it and the README's
// configuration reference in step.
//
//go:embed example.yml
var Example string
