package dashboard

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/dhis2-chap/chap_exporter/prober"
)

// Bounds on text from servers, so one chatty server cannot bloat the page.
const (
	maxMessage     = 300  // a check message on the board
	maxLongMessage = 2000 // on a target's own page
	maxDebugText   = 64 << 10
)

// printable makes text from a server safe to show: it is cut to at most
// limit characters with an ellipsis, invalid UTF-8 becomes U+FFFD and other
// unprintable characters (newlines and tabs too, unless keepLines) become
// spaces.
func printable(s string, limit int, keepLines bool) string {
	return strings.Map(func(r rune) rune { // mapping turns invalid UTF-8 into U+FFFD
		if !unicode.IsPrint(r) && !(keepLines && (r == '\n' || r == '\t')) {
			return ' '
		}
		return r
	}, prober.Truncate(s, limit, prober.Characters))
}

// ago says how long ago something was, in its largest sensible unit.
func ago(d time.Duration) string {
	d = max(d, 0)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		h := int(d.Hours())
		if m := int(d.Minutes()) % 60; m != 0 && h < 10 {
			return fmt.Sprintf("%dh %dm", h, m)
		}
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// clock is a UTC time, with the date when it is not today's.
func clock(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04:05")
	}
	return t.Format("Jan 2 15:04")
}

// percent formats a share as an uptime, "–" when there is none.
func percent(share float64) string {
	switch {
	case share < 0:
		return "–"
	case share == 1:
		return "100%"
	}
	return fmt.Sprintf("%.1f%%", min(share*100, 99.9)) // never round a failure up to 100
}

// seconds formats a duration for people.
func seconds(s float64) string {
	switch {
	case s < 0.001:
		return "<1 ms"
	case s < 1:
		return fmt.Sprintf("%d ms", int(s*1000))
	}
	return fmt.Sprintf("%.2f s", s)
}
