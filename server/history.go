package server

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/dhis2-chap/chap_exporter/prober"
)

// How many results the status page remembers per target: the latest
// results, and separately the latest failures, so a run of successes never
// pushes the last failure out. Memory is bounded by targets × (recent+failures).
const (
	historyRecent   = 10
	historyFailures = 5
)

// historyEntry is one probe as the status page lists it.
type historyEntry struct {
	seq      uint64
	At       time.Time
	Duration time.Duration
	Success  bool
	// Problems are the checks that did not pass, as "check: status (reason)".
	Problems []string
}

// targetHistory is what the status page knows of one target.
type targetHistory struct {
	last     *prober.Report // the latest probe, for the grid
	recent   []historyEntry // newest last, at most historyRecent
	failures []historyEntry // newest last, at most historyFailures
}

// history records the probes that ran (/probe and /status); the status
// page renders it and never probes.
type history struct {
	mu      sync.Mutex
	seq     uint64
	targets map[string]*targetHistory
}

// record remembers a finished probe.
func (h *history) record(r *prober.Report) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.targets == nil {
		h.targets = map[string]*targetHistory{}
	}
	th := h.targets[r.Target]
	if th == nil {
		th = &targetHistory{}
		h.targets[r.Target] = th
	}
	h.seq++
	e := historyEntry{seq: h.seq, At: r.Start, Duration: r.Duration, Success: r.Success()}
	for _, c := range r.Checks {
		if c.Status == prober.StatusFail || c.Status == prober.StatusError {
			p := c.Check + ": " + string(c.Status)
			if c.Reason != "" {
				p += " (" + string(c.Reason) + ")"
			}
			e.Problems = append(e.Problems, p)
		}
	}
	th.last = r
	th.recent = appendBounded(th.recent, e, historyRecent)
	if !e.Success {
		th.failures = appendBounded(th.failures, e, historyFailures)
	}
}

func appendBounded(entries []historyEntry, e historyEntry, limit int) []historyEntry {
	entries = append(entries, e)
	if len(entries) > limit {
		entries = slices.Delete(entries, 0, len(entries)-limit)
	}
	return entries
}

// snapshot returns the latest report and the remembered results of the
// named target, newest first; ok is false when it was never probed.
func (h *history) snapshot(target string) (last *prober.Report, entries []historyEntry, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	th := h.targets[target]
	if th == nil {
		return nil, nil, false
	}
	entries = slices.Concat(th.recent, th.failures)
	slices.SortFunc(entries, func(a, b historyEntry) int { return cmp.Compare(b.seq, a.seq) })
	entries = slices.CompactFunc(entries, func(a, b historyEntry) bool { return a.seq == b.seq })
	return th.last, entries, true
}

// retain forgets targets that are no longer configured.
func (h *history) retain(keep func(string) bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for name := range h.targets {
		if !keep(name) {
			delete(h.targets, name)
		}
	}
}
