package prober

import (
	"context"
	"errors"
	"sync"
	"time"
)

// sharing is what ProbeShared keeps per Prober: the chain run in flight that
// callers may join, and the last completed report for min_interval.
type sharing struct {
	mu     sync.Mutex
	flight *flight   // the run new callers join, nil when none
	last   *Report   // the last completed run, nil before the first
	lastAt time.Time // when last finished
}

// flight is one chain run that one or more callers wait for.
type flight struct {
	deadline time.Time // the run ends by then, done or timed out
	done     chan struct{}
	report   *Report // set before done is closed
	waiters  int     // callers still waiting
	cancel   context.CancelFunc
	canceled bool // every waiter left and the run was stopped: not a result to keep
}

// ProbeShared is Probe for callers that may arrive together, such as two
// Prometheus replicas scraping the same target. It asks DHIS2 at most once
// for all of them:
//
//   - Within the target's min_interval of the last completed run, it serves
//     that run's report, with Age saying how old it is.
//   - Otherwise, when a run is in flight whose deadline is no later than
//     this caller's (now + timeout, or ctx's deadline when earlier), it
//     waits for that run and shares its report (Shared is true). A run that
//     might outlast the caller's budget is not joined; the caller starts a
//     run of its own, because a result that arrives after Prometheus gave up
//     is worth nothing to it.
//   - Otherwise it starts a run that later callers can join.
//
// The run does not belong to any one caller: a caller whose ctx is canceled
// gets a report of canceled checks at once while the others keep waiting,
// and only when every caller has left is the run stopped (and then not kept
// for min_interval). The run never outlives its deadline, so nothing leaks.
// Reports are shared between callers and must not be modified.
func (p *Prober) ProbeShared(ctx context.Context, timeout time.Duration) *Report {
	now := time.Now()
	deadline := now.Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	s := &p.share
	s.mu.Lock()
	if r := s.cached(now, time.Duration(p.target.MinInterval)); r != nil {
		s.mu.Unlock()
		return r
	}
	f, joined := s.flight, true
	if f == nil || f.deadline.After(deadline) {
		f, joined = p.startRun(ctx, timeout, deadline, f == nil), false
	}
	f.waiters++
	s.mu.Unlock()

	select {
	case <-f.done:
	case <-ctx.Done():
		// A deadline that ran out is this caller's own budget: the run's
		// deadline is no later, so it is finishing too; wait for its report
		// rather than invent one. A cancellation means the caller left.
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			s.leave(f)
			return canceledReport(p, now, timeout)
		}
		<-f.done
	}
	r := *f.report // each caller gets its own copy of the top-level fields
	r.Shared = joined
	return &r
}

// cached returns a copy of the last report when it finished less than
// minInterval ago; s.mu must be held.
func (s *sharing) cached(now time.Time, minInterval time.Duration) *Report {
	if minInterval <= 0 || s.last == nil {
		return nil
	}
	age := now.Sub(s.lastAt)
	if age >= minInterval {
		return nil
	}
	r := *s.last
	r.Age = max(age, time.Nanosecond) // never 0: 0 means "ran for this call"
	return &r
}

// startRun starts a chain run in the background; register makes it the
// run later callers join. p.share.mu must be held.
func (p *Prober) startRun(ctx context.Context, timeout time.Duration, deadline time.Time, register bool) *flight {
	// The run must not end when the caller that started it goes away, so it
	// drops ctx's cancellation (keeping its values) and runs to its own deadline.
	runCtx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	f := &flight{deadline: deadline, done: make(chan struct{}), cancel: cancel}
	s := &p.share
	if register {
		s.flight = f
	}
	go func() {
		defer cancel()
		r := p.Probe(runCtx, timeout)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.flight == f {
			s.flight = nil
		}
		if !f.canceled && r.End().After(s.lastAt) {
			s.last, s.lastAt = r, r.End()
		}
		f.report = r
		close(f.done)
	}()
	return f
}

// leave records that a waiter gave up; the last one to leave stops the run
// and unregisters it, so a later caller starts afresh instead of joining a
// run that is being canceled.
func (s *sharing) leave(f *flight) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f.waiters--
	if f.waiters > 0 || f.report != nil {
		return
	}
	f.canceled = true
	f.cancel()
	if s.flight == f {
		s.flight = nil
	}
}

// canceledReport is what a caller that left before the shared run finished
// gets: every check canceled, as Probe reports when its ctx is canceled.
func canceledReport(p *Prober, start time.Time, timeout time.Duration) *Report {
	r := &Report{Target: p.target.Name, Label: p.target.Label(), Kind: p.target.Kind, Start: start, Duration: time.Since(start), Timeout: timeout}
	for _, c := range p.checks {
		r.Checks = append(r.Checks, Result{
			Check: c.name, Status: StatusFail, Reason: ReasonCanceled,
			Message: "the scrape was abandoned before the probe finished",
		})
	}
	return r
}
