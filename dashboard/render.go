package dashboard

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/dhis2-chap/chap_exporter/history"
	"github.com/dhis2-chap/chap_exporter/prober"
)

var (
	//go:embed common.html
	commonHTML string
	//go:embed board.html
	boardHTML string
	//go:embed target.html
	targetHTML string
	//go:embed style.css
	styleCSS string
	// The dark palette, written once and put in style.css at both places
	// marked /*dark*/: the dark theme and the auto theme in a dark browser.
	//go:embed dark.css
	darkCSS string
	//go:embed refresh.js
	refreshJS string
)

var (
	boardTemplate  = pageTemplate(boardHTML, "")
	targetTemplate = pageTemplate(targetHTML, "../")
)

// pageTemplate parses a page with the common parts; root is the way from
// the page back to / as a relative URL, so the pages work behind a proxy
// that serves the exporter under a path.
func pageTemplate(page, root string) *template.Template {
	css := template.CSS(strings.ReplaceAll(styleCSS, "/*dark*/", darkCSS))
	funcs := template.FuncMap{
		"css":         func() template.CSS { return css },
		"js":          func() template.JS { return template.JS(refreshJS) },
		"root":        func() string { return root },
		"stripWidth":  func() int { return stripWidth },
		"barWidth":    func() int { return barWidth },
		"barInner":    func() int { return barWidth - 1 }, // the gap between bars is 1
		"barPatterns": func() []barPattern { return barPatterns },
	}
	return template.Must(template.Must(template.New("page").Funcs(funcs).Parse(commonHTML)).Parse(page))
}

// RenderBoard writes the board of targets, in their configured groups,
// failures first. page counts from 1; a page holds at most 80 cards.
func RenderBoard(w io.Writer, site Site, targets []Target, store *history.Store, page int) error {
	return boardTemplate.ExecuteTemplate(w, "board", newBoard(site, targets, store, page))
}

// checkRow is one check on a target's page.
type checkRow struct {
	Label, Name, Reason, Message, Version, Duration string
	State                                           state
	Strip                                           strip
}

// incidentRow is one incident on a target's page.
type incidentRow struct {
	Label, Status, Reason, Broke, Recovered, Lasted string
	Ongoing                                         bool
}

type targetPage struct {
	Site       siteView
	Card       card
	Checks     []checkRow
	Incidents  []incidentRow
	Debug      string
	JustProbed ProbeNow
	Badge      string
	BadgePath  string
}

// ProbeNow says whether a target page follows the Probe now button, and
// whether that probe ran the chain or got the min_interval cache's result.
type ProbeNow int

// The ways a target page can follow Probe now.
const (
	NotProbedNow   ProbeNow = iota
	ProbeNowRan             // the chain ran for the button
	ProbeNowCached          // min_interval answered with an earlier run's result
)

// justProbedFor is how long after Probe now its notice stays on a target
// page that keeps refreshing itself with the same URL.
const justProbedFor = time.Minute

// RenderTarget writes one target's page from d, its history at site.Now
// (the zero Detail when it was never probed): its checks in chain order with
// their 24-hour strips, its incidents and debug, the report of d.Last.
// probeNow says the page follows Probe now; it says so while the result is fresh.
func RenderTarget(w io.Writer, site Site, t Target, d history.Detail, debug string, probeNow ProbeNow) error {
	now, probed := site.Now, d.Last != nil
	justProbed := probeNow
	if !probed || now.Sub(d.Last.End()) >= justProbedFor {
		justProbed = NotProbedNow
	}
	p := targetPage{Site: newSiteView(site), Card: newCard(t, d.Summary, probed, now),
		Debug: printable(debug, maxDebugText, true), JustProbed: justProbed,
		Badge: BadgeText(d.State, probed), BadgePath: "/badge/" + t.Name + ".svg"}
	strips := map[string]strip{}
	for _, c := range d.Checks {
		strips[c.Check] = newStrip(c.Bars, "ok")
	}
	results := map[string]prober.Result{}
	if probed {
		for _, r := range d.Last.Checks {
			results[r.Check] = r
		}
	}
	for _, name := range chainOrder(t.Checks, d.Last) {
		row := checkRow{Label: CheckLabel(name), Name: name, State: noResult, Strip: strips[name]}
		if r, ok := results[name]; ok {
			row.State, row.Reason, row.Version = checkState(r), string(r.Reason), printable(r.Version, 64, false)
			row.Message = printable(r.Message, maxLongMessage, false)
			row.Duration = seconds(r.Duration.Seconds())
		}
		if row.Strip.Uptime == "" {
			row.Strip.Uptime = percent(-1)
		}
		p.Checks = append(p.Checks, row)
	}
	for _, inc := range d.Incidents {
		row := incidentRow{Label: CheckLabel(inc.Check), Status: string(inc.Status), Reason: string(inc.Reason),
			Broke: clock(inc.Start, now), Lasted: ago(inc.Duration(now)), Ongoing: inc.End.IsZero()}
		if !row.Ongoing {
			row.Recovered = clock(inc.End, now)
		}
		p.Incidents = append(p.Incidents, row)
	}
	return targetTemplate.ExecuteTemplate(w, "target", p)
}

// BadgeText is a badge's word for a state: up, degraded, down or unknown.
func BadgeText(s history.State, probed bool) string {
	if !probed {
		return "unknown"
	}
	return s.String()
}

var badgeColours = map[string]string{"up": "#1a7f37", "degraded": "#9a6700", "down": "#cf222e", "unknown": "#6e7781"}

// WriteBadge writes a shields-style SVG badge "chap | word". The words are
// fixed, so nothing from a server reaches the SVG.
func WriteBadge(w io.Writer, word string) error {
	colour, ok := badgeColours[word]
	if !ok {
		return fmt.Errorf("no badge for %q", word)
	}
	const label, labelWidth = "chap", 37
	valueWidth := 12 + 7*len(word) // Verdana 11px averages about 7px a letter
	width := labelWidth + valueWidth
	_, err := fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%[1]d" height="20" role="img" aria-label="%[2]s: %[3]s"><title>%[2]s: %[3]s</title>`+
		`<linearGradient id="s" x2="0" y2="100%%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>`+
		`<clipPath id="r"><rect width="%[1]d" height="20" rx="3" fill="#fff"/></clipPath>`+
		`<g clip-path="url(#r)"><rect width="%[4]d" height="20" fill="#555"/><rect x="%[4]d" width="%[5]d" height="20" fill="%[6]s"/><rect width="%[1]d" height="20" fill="url(#s)"/></g>`+
		`<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">`+
		`<text x="%[7]d" y="15" fill="#010101" fill-opacity=".3">%[2]s</text><text x="%[7]d" y="14">%[2]s</text>`+
		`<text x="%[8]d" y="15" fill="#010101" fill-opacity=".3">%[3]s</text><text x="%[8]d" y="14">%[3]s</text></g></svg>`+"\n",
		width, label, word, labelWidth, valueWidth, colour, labelWidth/2, labelWidth+valueWidth/2)
	return err
}
