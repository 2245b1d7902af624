package prober

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds on what a server's answer can put into a result. Every consumer
// (metrics, debug page, status page, /status, logs, the check table) gets
// results within them, whatever the server sends.
const (
	// MaxMessageBytes bounds a result's message and a request's error.
	MaxMessageBytes = 1024
	// MaxLabelBytes bounds values that become label values: versions,
	// revisions, subsystem names.
	MaxLabelBytes = 128
	// MaxSubsystems bounds the subsystems one result reports, and so the
	// chap_check_subsystem_up series of one check.
	MaxSubsystems = 64
	// MaxListedItems bounds the items a message lists before "and N more".
	MaxListedItems = 10
	// MaxEntries bounds the entries of a JSON list or object a check parses;
	// an answer with more is rejected rather than parsed.
	MaxEntries = 10000
)

// printable makes text from a server safe to print: invalid UTF-8 becomes
// U+FFFD and control and format characters (terminal escapes, newlines,
// bidirectional overrides) are shown escaped, as \x1b or \u202e.
func printable(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r < 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// unsafeRune reports whether r would act on a terminal or page rather than show.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// Measure is what a length limit on text counts.
type Measure uint8

// Measures of text.
const (
	Bytes      Measure = iota // bytes of UTF-8: bounds on results, labels and echoed input
	Characters                // characters: how much text a page shows
)

// Truncate cuts s to at most n bytes or characters, as m says, never inside
// a character, and marks the cut with "…" (not counted in n); s comes back
// whole when it fits. Text is cut in one place, cutIndex: results (through
// truncate), a caller's input echoed in an error and text on the status
// page all go through it.
func Truncate(s string, n int, m Measure) string {
	cut := m.cutIndex(s, n)
	if cut == len(s) {
		return s
	}
	return s[:cut] + "…"
}

// cutIndex is where s is cut to keep at most n of m at a character
// boundary; len(s) when s fits.
func (m Measure) cutIndex(s string, n int) int {
	n = max(n, 0)
	if m == Characters {
		for i := range s {
			if n == 0 {
				return i
			}
			n--
		}
		return len(s)
	}
	if len(s) <= n {
		return len(s)
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// truncate is Truncate for results: the mark says how many bytes were left
// out and counts against n, so a result keeps within its documented bound.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	longest := fmt.Sprintf("… (%d more bytes)", len(s)) // no shorter than the suffix written
	cut := Bytes.cutIndex(s, n-len(longest))
	return s[:cut] + fmt.Sprintf("… (%d more bytes)", len(s)-cut)
}

// ListText joins at most MaxListedItems items with sep, ending with
// "and N more" when there are more.
func ListText(items []string, sep string) string {
	if len(items) <= MaxListedItems {
		return strings.Join(items, sep)
	}
	return strings.Join(items[:MaxListedItems], sep) + fmt.Sprintf("%sand %d more", sep, len(items)-MaxListedItems)
}

// serverText is text that came from a server, ready for any output:
// credentials hidden, printable, at most n bytes. Redaction comes first so
// that neither escaping nor truncation can leave part of a secret.
func (p *Prober) serverText(s string, n int) string {
	return truncate(printable(withoutUserinfo(p.redact(s))), n)
}

// userinfo matches the user:password@ of a URL in text, parsable or not,
// up to the authority's last "@" as net/url reads it.
var userinfo = regexp.MustCompile(`((?:[A-Za-z][A-Za-z0-9+.-]*:)?//)[^\s/]*@`)

// withoutUserinfo drops the user:password@ of every URL in s: a server's
// redirect or error may name a URL with a credential other than the
// target's own, which redact cannot know.
func withoutUserinfo(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return userinfo.ReplaceAllString(s, "$1")
}

// bound applies the result bounds to r, so nothing a server sent reaches a
// consumer unbounded, unprintable or with a credential in it.
func (p *Prober) bound(r Result) Result {
	r.Message = p.serverText(r.Message, MaxMessageBytes)
	r.Version = p.serverText(r.Version, MaxLabelBytes)
	r.Revision = p.serverText(r.Revision, MaxLabelBytes)
	if len(r.Requests) > 0 {
		r.Requests = slices.Clone(r.Requests)
		for i := range r.Requests {
			r.Requests[i].Path = p.serverText(r.Requests[i].Path, MaxMessageBytes)
			r.Requests[i].Error = p.serverText(r.Requests[i].Error, MaxMessageBytes)
		}
	}
	if r.Subsystems != nil {
		bounded := make(map[string]string, min(len(r.Subsystems), MaxSubsystems))
		for _, name := range slices.Sorted(maps.Keys(r.Subsystems)) {
			if len(bounded) == MaxSubsystems {
				break
			}
			bounded[p.serverText(name, MaxLabelBytes)] = p.serverText(r.Subsystems[name], MaxLabelBytes)
		}
		r.Subsystems = bounded
	}
	return r
}
