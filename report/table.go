package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dhis2-chap/chap_exporter/prober"
)

// ANSI colours by status; every code has the same length so tabwriter's
// columns stay aligned.
var colours = map[prober.Status]string{
	prober.StatusOK:      "\x1b[32m",
	prober.StatusWarn:    "\x1b[33m",
	prober.StatusFail:    "\x1b[31m",
	prober.StatusError:   "\x1b[35m",
	prober.StatusSkipped: "\x1b[90m",
}

const colourReset = "\x1b[0m"

// colourDefault wraps the STATUS header so that it carries as many invisible
// bytes as a coloured status, which tabwriter counts as width.
const colourDefault = "\x1b[39m"

// WriteTable prints one line per check: target, check, status (with the
// reason), duration, version and message. colour adds ANSI colours to the
// status column.
func WriteTable(w io.Writer, reports []*prober.Report, colour bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	statusHeader := "STATUS"
	if colour {
		statusHeader = colourDefault + statusHeader + colourReset
	}
	fmt.Fprintf(tw, "TARGET\tCHECK\t%s\tDURATION\tVERSION\tMESSAGE\n", statusHeader)
	for _, r := range reports {
		target := r.Target
		if r.Label != r.Target && r.Label != "" {
			target += " (" + r.Label + ")"
		}
		for _, c := range r.Checks {
			status := c.Outcome()
			if colour {
				status = colours[c.Status] + status + colourReset
			}
			version := c.Version
			if version == "" {
				version = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", target, c.Check, status,
				c.Duration.Round(time.Millisecond), version, strings.ReplaceAll(c.Message, "\n", " "))
		}
	}
	return tw.Flush()
}

// Document is the one-shot check's JSON output: the worst status, then one
// health document per target.
type Document struct {
	Status  string   `json:"status"`
	Targets []Health `json:"targets"`
}

// WriteJSON prints every result as one Document.
func WriteJSON(w io.Writer, reports []*prober.Report) error {
	doc := Document{Status: StateHealthy, Targets: make([]Health, 0, len(reports))}
	for _, r := range reports {
		h := NewHealth(r)
		doc.Status = worse(doc.Status, h.Status)
		doc.Targets = append(doc.Targets, h)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
