package history

import (
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/dhis2-chap/chap_exporter/prober"
)

// The window the status page shows: Buckets buckets of BucketWidth.
const (
	Buckets     = 48
	BucketWidth = 30 * time.Minute
	Window      = Buckets * BucketWidth
	// MaxIncidents is how many incidents a target keeps, newest last.
	MaxIncidents = 20
)

// State is a target's overall state, worst last.
type State uint8

// The states, from the latest report.
const (
	Unknown  State = iota // never probed since the exporter started
	Up                    // every check passed
	Degraded              // every check passed, at least one with a warning
	Down                  // a check failed
)

func (s State) String() string {
	switch s {
	case Up:
		return "up"
	case Degraded:
		return "degraded"
	case Down:
		return "down"
	}
	return "unknown"
}

// StateOf is the overall state a report shows.
func StateOf(r *prober.Report) State {
	if !r.Success() {
		return Down
	}
	for _, c := range r.Checks {
		if c.Status == prober.StatusWarn {
			return Degraded
		}
	}
	return Up
}

// Severity orders what a bucket saw; a bucket shows its worst.
type Severity uint8

// Severities, worst last. Unsupported checks count as ok.
const (
	None Severity = iota // nothing recorded in the bucket
	SevOK
	SevWarn
	SevSkipped
	SevFail
	SevError
)

func (s Severity) String() string {
	return [...]string{"none", "ok", "warn", "skipped", "fail", "error"}[s]
}

func severityOf(c prober.Result) Severity {
	switch {
	case c.Status == prober.StatusOK || c.Unsupported():
		return SevOK
	case c.Status == prober.StatusWarn:
		return SevWarn
	case c.Status == prober.StatusSkipped:
		return SevSkipped
	case c.Status == prober.StatusError:
		return SevError
	}
	return SevFail
}

// bucket is what one half hour saw of one check (or of the whole target).
type bucket struct {
	slot     int32   // unix time / BucketWidth; tells a stale ring entry from a current one
	seconds  float32 // sum of probe durations (target buckets only)
	runs     uint16
	good     uint16 // runs that passed
	severity Severity
}

type series [Buckets]bucket

func (s *series) add(slot int32, good bool, sev Severity, seconds float64) {
	b := &s[slot%Buckets]
	if b.slot != slot {
		*b = bucket{slot: slot}
	}
	if b.runs < ^uint16(0) {
		b.runs++
		if good {
			b.good++
		}
	}
	b.severity = max(b.severity, sev)
	b.seconds += float32(seconds)
}

// Bar is one bucket as the page draws it.
type Bar struct {
	Start    time.Time
	Runs     int
	Good     int      // runs that passed
	Severity Severity // worst status seen; None when nothing ran
	// MeanSeconds is the mean probe duration (target bars only).
	MeanSeconds float64
}

// bars returns the Buckets buckets ending with the one holding now, oldest first.
func (s *series) bars(now time.Time) []Bar {
	current := slotOf(now)
	out := make([]Bar, Buckets)
	for i := range out {
		slot := current - Buckets + 1 + int32(i)
		out[i].Start = time.Unix(int64(slot)*int64(BucketWidth/time.Second), 0)
		if slot < 0 {
			continue
		}
		if b := s[slot%Buckets]; b.slot == slot && b.runs > 0 {
			out[i].Runs, out[i].Good, out[i].Severity = int(b.runs), int(b.good), b.severity
			out[i].MeanSeconds = float64(b.seconds) / float64(b.runs)
		}
	}
	return out
}

func slotOf(t time.Time) int32 { return int32(t.Unix() / int64(BucketWidth/time.Second)) }

// Incident is a check that failed from Start until End (zero while it
// still fails).
type Incident struct {
	Check  string
	Status prober.Status
	Reason prober.Reason
	Start  time.Time
	End    time.Time
}

// Duration is how long the incident lasted, or has lasted until now.
func (i Incident) Duration(now time.Time) time.Duration {
	if i.End.IsZero() {
		return now.Sub(i.Start)
	}
	return i.End.Sub(i.Start)
}

type checkHistory struct {
	name   string
	series series
}

type target struct {
	overall   series
	checks    []*checkHistory // in the latest report's order
	incidents []Incident      // newest last, at most MaxIncidents
	state     State
	since     time.Time // when state began (or the first record, if it never changed)
	first     time.Time // the first record since the exporter started
	last      *prober.Report
}

// Store is a bounded history of every configured target. The zero value is ready.
type Store struct {
	mu      sync.RWMutex
	targets map[string]*target
}

// Record adds a finished chain run. Reports are not modified and may be shared.
func (s *Store) Record(r *prober.Report) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.targets == nil {
		s.targets = map[string]*target{}
	}
	t := s.targets[r.Target]
	if t == nil {
		t = &target{first: r.Start}
		s.targets[r.Target] = t
	}
	slot := slotOf(r.Start)
	state := StateOf(r)
	if state != t.state {
		t.state, t.since = state, r.Start
	}
	t.last = r
	old := t.checks
	t.checks = make([]*checkHistory, len(r.Checks))
	for i, c := range r.Checks {
		t.checks[i] = findCheck(old, c.Check)
	}
	for _, ch := range old { // a check no longer run ends its incident
		if i := t.ongoing(ch.name); i >= 0 && !slices.Contains(t.checks, ch) {
			t.incidents[i].End = r.Start
		}
	}
	overall := SevOK
	for i, c := range r.Checks {
		ch := t.checks[i]
		sev := severityOf(c)
		overall = max(overall, sev)
		ch.series.add(slot, sev <= SevWarn, sev, 0)
		t.trackIncident(ch, c, r.Start)
	}
	t.overall.add(slot, state != Down, overall, r.Duration.Seconds())
}

// findCheck returns the history of the named check, or a new one.
func findCheck(checks []*checkHistory, name string) *checkHistory {
	for _, c := range checks {
		if c.name == name {
			return c
		}
	}
	return &checkHistory{name: name}
}

// trackIncident opens an incident when a check starts failing and closes it
// when the check passes again. A skipped check is not an incident of its
// own: the check it depends on is.
func (t *target) trackIncident(ch *checkHistory, c prober.Result, at time.Time) {
	i := t.ongoing(ch.name)
	switch {
	case c.Status.Failing() && i < 0:
		t.openIncident(Incident{Check: ch.name, Status: c.Status, Reason: c.Reason, Start: at})
	case !c.Status.Failing() && i >= 0 && c.Status != prober.StatusSkipped:
		t.incidents[i].End = at
	}
}

// ongoing is the index of check's ongoing incident, -1 when it has none.
func (t *target) ongoing(check string) int {
	return slices.IndexFunc(t.incidents, func(inc Incident) bool { return inc.Check == check && inc.End.IsZero() })
}

// openIncident adds inc, making room by forgetting the oldest incident that
// has ended: an ongoing one is kept, so the time its check broke is never
// lost while it still fails. When every kept incident is ongoing, inc is
// not listed.
func (t *target) openIncident(inc Incident) {
	if len(t.incidents) == MaxIncidents {
		ended := slices.IndexFunc(t.incidents, func(inc Incident) bool { return !inc.End.IsZero() })
		if ended < 0 {
			return
		}
		t.incidents = slices.Delete(t.incidents, ended, ended+1)
	}
	t.incidents = append(t.incidents, inc)
}

// Retain forgets targets for which keep is false, e.g. after a reload.
func (s *Store) Retain(keep func(target string) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name := range s.targets {
		if !keep(name) {
			delete(s.targets, name)
		}
	}
}

// Summary is what the board shows of one target.
type Summary struct {
	State State
	Since time.Time // when State began, or the first record since start
	// SinceFirst is true when State has held since the first record: it
	// may have begun before the exporter started.
	SinceFirst bool
	Last       *prober.Report
	Bars       []Bar // the target's last 24 hours, oldest first
	// Uptime is the share of runs in Bars in which the target was not down;
	// -1 when nothing ran in the window.
	Uptime float64
}

// CheckBars is one check's last 24 hours.
type CheckBars struct {
	Check  string
	Bars   []Bar
	Uptime float64 // as Summary.Uptime
}

// Detail is what a target's own page shows.
type Detail struct {
	Summary
	Checks    []CheckBars // in the latest report's order
	Incidents []Incident  // newest first
}

// Summary returns the board's view of target at now; ok is false when it
// was never probed since the exporter started.
func (s *Store) Summary(name string, now time.Time) (sum Summary, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.targets[name]
	if t == nil {
		return Summary{}, false
	}
	return t.summary(now), true
}

func (t *target) summary(now time.Time) Summary {
	bars := t.overall.bars(now)
	return Summary{State: t.state, Since: t.since, SinceFirst: t.since.Equal(t.first), Last: t.last, Bars: bars, Uptime: Uptime(bars)}
}

// Detail returns the target page's view of target at now.
func (s *Store) Detail(name string, now time.Time) (d Detail, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.targets[name]
	if t == nil {
		return Detail{}, false
	}
	d.Summary = t.summary(now)
	for _, c := range t.checks {
		bars := c.series.bars(now)
		d.Checks = append(d.Checks, CheckBars{Check: c.name, Bars: bars, Uptime: Uptime(bars)})
	}
	d.Incidents = make([]Incident, len(t.incidents))
	for i, inc := range t.incidents {
		d.Incidents[len(t.incidents)-1-i] = inc
	}
	return d, true
}

// Uptime is the share of runs in bars that passed, -1 when none ran.
func Uptime(bars []Bar) float64 {
	runs, good := 0, 0
	for _, b := range bars {
		runs += b.Runs
		good += b.Good
	}
	if runs == 0 {
		return -1
	}
	return float64(good) / float64(runs)
}

// Bytes estimates the memory the store holds: its own structures and the
// latest reports it keeps, strings included.
func (s *Store) Bytes() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	const mapEntry = 48 // key header, pointer and the map's own overhead, roughly
	total := 0
	for name, t := range s.targets {
		total += mapEntry + len(name) + int(unsafe.Sizeof(*t))
		total += cap(t.checks) * int(unsafe.Sizeof(&checkHistory{}))
		total += len(t.checks) * int(unsafe.Sizeof(checkHistory{}))
		total += cap(t.incidents) * int(unsafe.Sizeof(Incident{}))
		total += reportBytes(t.last)
	}
	return total
}

func reportBytes(r *prober.Report) int {
	if r == nil {
		return 0
	}
	n := int(unsafe.Sizeof(*r)) + len(r.Target) + cap(r.Checks)*int(unsafe.Sizeof(prober.Result{}))
	for _, c := range r.Checks {
		n += len(c.Message) + len(c.Version) + len(c.Revision)
		n += cap(c.Requests) * int(unsafe.Sizeof(prober.Request{}))
		for _, req := range c.Requests {
			n += len(req.Path) + len(req.Error)
		}
		for k, v := range c.Subsystems {
			n += len(k) + len(v) + 32
		}
	}
	return n
}
