// Package dashboard renders the status page an operator keeps open: the
// board of every target (failures first), each target's page with its
// 24-hour history and incidents, and shields-style badges.
//
// It reads the history and never probes or does I/O beyond writing what it
// renders. Plain HTML and inline CSS with one small optional script, no
// external assets, every value escaped by html/template.
package dashboard
