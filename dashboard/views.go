package dashboard

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dhis2-chap/chap_exporter/config"
	"github.com/dhis2-chap/chap_exporter/history"
	"github.com/dhis2-chap/chap_exporter/prober"
)

// Target is one configured target as the pages show it.
type Target struct {
	Name   string
	Label  string // display name, else the name
	Kind   config.Kind
	URL    string
	Group  string   // the value of the ui.group_by label, "" without one
	Checks []string // the prober's plan, in chain order
}

// Site is what every page shows around its content.
type Site struct {
	UI      config.UI
	Theme   config.Theme // the theme asked for, e.g. by ?theme=; the configured one when empty
	Version string
	Started time.Time // when the exporter started: the history begins there
	Now     time.Time
}

// state is how a target's or check's state looks: a CSS class, a symbol
// and a word, so colour is never the only signal.
type state struct {
	Class, Symbol, Text string
}

var targetStates = map[history.State]state{
	history.Down:     {"down", "✖", "Down"},
	history.Degraded: {"degraded", "▲", "Degraded"},
	history.Unknown:  {"unknown", "?", "Not probed yet"},
	history.Up:       {"up", "✔", "Up"},
}

// boardRank puts failures first, then warnings, then targets nobody probed, then healthy ones.
func boardRank(s history.State) int {
	return [...]int{history.Down: 0, history.Degraded: 1, history.Unknown: 2, history.Up: 3}[s]
}

var checkStates = map[prober.Status]state{
	prober.StatusOK:      {"ok", "✓", "ok"},
	prober.StatusWarn:    {"warn", "!", "warning"},
	prober.StatusFail:    {"fail", "✗", "failed"},
	prober.StatusError:   {"error", "⚠", "error"},
	prober.StatusSkipped: {"skipped", "–", "skipped"},
}

var noResult = state{"none", "·", "no result yet"}

func checkState(r prober.Result) state {
	if r.Unsupported() {
		return state{"ok", "–", "not supported by this server"}
	}
	if s, ok := checkStates[r.Status]; ok {
		return s
	}
	return state{"error", "⚠", printable(string(r.Status), 20, false)}
}

// chip is one check of the chain on a card.
type chip struct {
	Label, Title string
	State        state
}

// problem is a check that needs attention, written out.
type problem struct {
	Label, Reason, Message string
	State                  state
}

// bar is one or more half hours of a 24-hour strip, drawn with the
// pattern of its class.
type bar struct {
	X, W  int
	Class string
	Title string
}

// strip is a 24-hour strip of bars.
type strip struct {
	Bars   []bar
	Uptime string
}

// spark is a probe-duration sparkline.
type spark struct {
	Points string
	Title  string
}

// card is one target on the board, or the head of its own page.
type card struct {
	Target
	KindLabel string
	State     state
	Probed    bool
	Since     string // "12:01:05 (44m)"
	Age       string // of the last result
	Problems  []problem
	Chain     []chip
	Strip     strip
	Spark     spark
	Duration  string // of the last probe
}

const (
	barWidth   = 5 // 4 px bar and 1 px gap
	stripWidth = history.Buckets * barWidth
	stripH     = 24
	sparkH     = 24
)

func newCard(t Target, sum history.Summary, probed bool, now time.Time) card {
	c := card{Target: t, KindLabel: kindLabel(t.Kind), State: targetStates[history.Unknown], Probed: probed}
	results := map[string]prober.Result{}
	if probed {
		c.State = targetStates[sum.State]
		c.Since = fmt.Sprintf("%s (%s)", clock(sum.Since, now), ago(now.Sub(sum.Since)))
		if sum.SinceFirst {
			c.Since += ", the first probe since the exporter started"
		}
		c.Age = ago(now.Sub(sum.Last.End()))
		c.Duration = seconds(sum.Last.Duration.Seconds())
		for _, r := range sum.Last.Checks {
			results[r.Check] = r
		}
		c.Strip = newStrip(sum.Bars, "probes up")
		c.Spark = newSpark(sum.Bars)
	}
	for _, name := range chainOrder(t.Checks, sum.Last) {
		r, ran := results[name]
		ch := chip{Label: CheckLabel(name), State: noResult, Title: name + ": no result yet"}
		if ran {
			ch.State = checkState(r)
			ch.Title = name + ": " + string(r.Status)
			if r.Status.Failing() || r.Status == prober.StatusWarn {
				c.Problems = append(c.Problems, problem{Label: ch.Label, State: ch.State,
					Reason: string(r.Reason), Message: printable(r.Message, maxMessage, false)})
			}
		}
		c.Chain = append(c.Chain, ch)
	}
	return c
}

// chainOrder is the plan's checks, with any check the last report has and
// the plan lacks (the plan changed on reload), in the order of checkLabels;
// checks it does not list (custom ones) keep their plan order after them.
func chainOrder(plan []string, last *prober.Report) []string {
	order := slices.Clone(plan)
	if last != nil {
		for _, r := range last.Checks {
			if !slices.Contains(order, r.Check) {
				order = append(order, r.Check)
			}
		}
	}
	slices.SortStableFunc(order, func(a, b string) int { return checkRank(a) - checkRank(b) })
	return order
}

func newStrip(bars []history.Bar, what string) strip {
	s := strip{Uptime: percent(history.Uptime(bars))}
	for i := 0; i < len(bars); i++ {
		b := bars[i]
		if b.Runs == 0 {
			continue // the track behind the bars shows "no data"
		}
		// Clean half hours in a row become one run of bars with one title:
		// a healthy day costs a few rectangles, not 48.
		first, runs, good := i, b.Runs, b.Good
		for clean(b) && i+1 < len(bars) && clean(bars[i+1]) && bars[i+1].Severity == b.Severity {
			i++
			runs, good = runs+bars[i].Runs, good+bars[i].Good
		}
		title := fmt.Sprintf("%s–%s: %d of %d %s (%s)", b.Start.UTC().Format("15:04"),
			bars[i].Start.Add(history.BucketWidth).UTC().Format("15:04 UTC"), good, runs, what, percent(float64(good)/float64(runs)))
		if b.Severity != history.SevOK {
			title += ", worst " + b.Severity.String()
		}
		s.Bars = append(s.Bars, bar{X: first * barWidth, W: (i - first + 1) * barWidth, Class: b.Severity.String(), Title: title})
	}
	return s
}

// barPattern draws the bars of one class: failures stand taller than
// successes, so the strip reads without colour too.
type barPattern struct {
	Class string
	Y, H  int
}

var barPatterns = []barPattern{
	{"ok", stripH / 2, stripH / 2}, {"warn", stripH / 4, stripH * 3 / 4},
	{"skipped", 0, stripH}, {"fail", 0, stripH}, {"error", 0, stripH},
}

// clean is a half hour in which every run passed.
func clean(b history.Bar) bool { return b.Runs > 0 && b.Good == b.Runs }

func newSpark(bars []history.Bar) spark {
	top, last := 0.0, 0.0
	for _, b := range bars {
		if b.Runs > 0 {
			top, last = max(top, b.MeanSeconds), b.MeanSeconds
		}
	}
	if top == 0 {
		return spark{}
	}
	var points []string
	for i, b := range bars {
		if b.Runs > 0 {
			points = append(points, fmt.Sprintf("%d,%.0f", i*barWidth+barWidth/2, float64(sparkH-2)-b.MeanSeconds/top*float64(sparkH-4)))
		}
	}
	if len(points) == 1 { // one point draws nothing: make it a dash across its half hour
		x, y, _ := strings.Cut(points[0], ",")
		n, _ := strconv.Atoi(x)
		points = []string{fmt.Sprintf("%d,%s", n-barWidth/2, y), fmt.Sprintf("%d,%s", n+barWidth/2, y)}
	}
	return spark{Points: strings.Join(points, " "),
		Title: fmt.Sprintf("Probe duration, mean per half hour: latest %s, highest %s", seconds(last), seconds(top))}
}

// group is a section of the board: the targets sharing a group_by value.
type group struct {
	Name    string // "" when the board is not grouped
	Counts  counts
	Cards   []card
	Healthy []row
	worst   int
}

// counts are how many targets are in each state.
type counts struct{ Down, Degraded, Unknown, Up int }

func (c *counts) add(s history.State) {
	switch s {
	case history.Down:
		c.Down++
	case history.Degraded:
		c.Degraded++
	case history.Unknown:
		c.Unknown++
	default:
		c.Up++
	}
}

// Board sizes: up to collapseOver targets, every target gets a card; above
// that, healthy targets become one-line rows. A page holds at most
// cardsPerPage cards, so a page stays small when many targets fail at once.
const (
	collapseOver = 40
	cardsPerPage = 80
)

type board struct {
	Site   siteView
	Counts counts
	Groups []group
	Page   int
	Pages  []int
}

// entry is a target on its way to the board: sorted first, then turned
// into a card or a row only if its page shows it.
type entry struct {
	target *Target
	sum    history.Summary
	probed bool
	key    string // the label, for sorting without regard to case
}

func newBoard(site Site, targets []Target, store *history.Store, page int) board {
	now := site.Now
	b := board{Site: newSiteView(site), Page: max(page, 1)}
	collapse := len(targets) > collapseOver
	byGroup := map[string][]*entry{}
	for i := range targets {
		t := &targets[i]
		e := &entry{target: t, key: strings.ToLower(t.Label)}
		e.sum, e.probed = store.Summary(t.Name, now)
		byGroup[t.Group] = append(byGroup[t.Group], e)
		b.Counts.add(e.sum.State)
	}
	groups := make([]group, 0, len(byGroup))
	for name, entries := range byGroup {
		slices.SortFunc(entries, func(a, b *entry) int {
			return cmp.Or(cmp.Compare(boardRank(a.sum.State), boardRank(b.sum.State)),
				cmp.Compare(a.key, b.key), cmp.Compare(a.target.Name, b.target.Name))
		})
		g := group{Name: name, worst: boardRank(entries[0].sum.State)}
		for _, e := range entries {
			g.Counts.add(e.sum.State)
		}
		groups = append(groups, g)
	}
	slices.SortFunc(groups, func(a, b group) int {
		return cmp.Or(cmp.Compare(a.worst, b.worst), cmp.Compare(unnamedLast(a.Name), unnamedLast(b.Name)), cmp.Compare(a.Name, b.Name))
	})
	cards := 0
	for _, g := range groups {
		for _, e := range byGroup[g.Name] {
			if collapse && e.sum.State == history.Up {
				if max(cards-1, 0)/cardsPerPage+1 == b.Page {
					g.Healthy = append(g.Healthy, newRow(e, now))
				}
				continue
			}
			if cards/cardsPerPage+1 == b.Page {
				g.Cards = append(g.Cards, newCard(*e.target, e.sum, e.probed, now))
			}
			cards++
		}
		if len(g.Cards) > 0 || len(g.Healthy) > 0 {
			b.Groups = append(b.Groups, g)
		}
	}
	for p := 1; p <= max((cards+cardsPerPage-1)/cardsPerPage, 1); p++ {
		b.Pages = append(b.Pages, p)
	}
	if len(b.Pages) == 1 {
		b.Pages = nil
	}
	return b
}

// row is a healthy target in one line, for boards too big for a card each.
type row struct {
	Name, Label, Kind, Uptime, Age string
	State                          state
}

func newRow(e *entry, now time.Time) row {
	return row{Name: e.target.Name, Label: e.target.Label, Kind: kindLabel(e.target.Kind), State: targetStates[e.sum.State],
		Uptime: percent(e.sum.Uptime), Age: ago(now.Sub(e.sum.Last.End()))}
}

// unnamedLast sorts the group of targets without the label after the others.
func unnamedLast(name string) int {
	if name == "" {
		return 1
	}
	return 0
}

// siteView is the frame of every page.
type siteView struct {
	Title, Theme, Version string
	Now, Started          string
	Refresh               int // seconds; 0 for never
	GroupBy               string
}

func newSiteView(s Site) siteView {
	theme := s.Theme
	if theme == "" {
		theme = s.UI.Theme
	}
	return siteView{Title: s.UI.Title, Theme: string(theme), Version: s.Version,
		Now: s.Now.UTC().Format("2006-01-02 15:04:05"), Started: clock(s.Started, s.Now),
		Refresh: int(s.UI.Refresh() / time.Second), GroupBy: s.UI.GroupBy}
}
