package prober

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds on text a server sends that the exporter repeats: in messages,
// and as label values.
const (
	maxLabelBytes = 128 // a version, a subsystem name
	maxFieldBytes = 200 // one value or message quoted inside a result message
)

// printable makes text from a server safe to show: control characters and
// invalid UTF-8 become "?", and it is cut to at most max bytes (at a rune
// boundary, marked with "…").
func printable(s string, max int) string {
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			r = '?'
		}
		if b.Len()+utf8.RuneLen(r) > max {
			return strings.TrimRight(b.String(), " ") + "…"
		}
		b.WriteRune(r)
	}
	return b.String()
}
