// Package report renders probe reports for people and programs outside
// Prometheus: the chapkit-style health document served on /status and
// printed by `chap_exporter check --output=json`, the text table of
// `check`, and the verdict behind its exit code (AllOK). It only renders:
// the check command that runs the probes lives in cmd/chap_exporter, and
// the probes themselves in prober.
//
// The package keeps the name report because what it renders is the
// prober's Report, in the forms a report takes for a reader; "render"
// would say how, not what.
package report
