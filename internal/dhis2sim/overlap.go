package dhis2sim

import (
	"slices"
	"time"
)

// MaxConcurrent is the most of reqs the simulator was handling at the same
// moment, from their Start and End. Tests use it to assert a concurrency
// limit from the server's side instead of with a stopwatch. A request that
// starts exactly when another ends does not overlap it.
func MaxConcurrent(reqs []Request) int {
	type event struct {
		at    time.Time
		delta int
	}
	events := make([]event, 0, 2*len(reqs))
	for _, r := range reqs {
		events = append(events, event{r.Start, 1}, event{r.End, -1})
	}
	slices.SortFunc(events, func(a, b event) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.delta - b.delta // ends first
	})
	cur, peak := 0, 0
	for _, e := range events {
		cur += e.delta
		peak = max(peak, cur)
	}
	return peak
}
