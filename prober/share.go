package prober

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// MaxRunsPerTarget bounds the chain runs of one target in flight at once.
// Callers with the same budget share one run; only callers with different
// budgets (a second Prometheus with another scrape timeout, or a client
// sending odd timeout headers) start more, and this cap keeps such a client
// from taking every admission slot with one target.
const MaxRunsPerTarget = 4

// ErrBusy is returned by ProbeShared when no new run may start: the target
// has MaxRunsPerTarget runs in flight, or Options.Admit refused.
var ErrBusy = errors.New("too many probes in flight")

// sharing is what ProbeShared keeps per Prober: the run in flight that
// callers may join, and the last completed report for min_interval.
type sharing struct {
	mu      sync.Mutex
	flight  *sharedRun // the run new callers join, nil when none
	running int        // runs in flight, joined or not
	last    *Report    // the last completed run fit to serve from the cache
	lastAt  time.Time  // when last finished
}

// sharedRun is one chain run that one or more concurrent callers of
// ProbeShared wait for. It owns its side effects: when it finishes it
// updates the min_interval cache and hands its report to Options.OnRun,
// once, whichever callers stayed or left. It is the outer of two
// single-flights; sharedRequest (session.go) is the inner one, sharing one
// API GET between the checks of a single run. Both exist because they share
// at different levels: scrapes that arrive together need not run the chain
// twice, and checks within any run need not send the same request twice.
type sharedRun struct {
	budget   time.Duration // the run's own time budget
	deadline time.Time     // the run ends by then, done or timed out
	done     chan struct{}
	report   *Report // set before done is closed
	waiters  int     // callers still waiting
	cancel   context.CancelFunc
	stopped  bool // every waiter left and the run was stopped: not a result to keep
}

// ProbeShared is Probe for callers that may arrive together, such as two
// Prometheus replicas scraping the same target. It asks DHIS2 at most once
// for all of them:
//
//   - Within the target's min_interval of the last completed run, it serves
//     that run's report, with Age saying how old it is.
//   - Otherwise it joins a run in flight whose budget is at least this
//     caller's (now + timeout, or ctx's deadline when earlier) and whose
//     deadline is no later than this caller's, and shares its report
//     (Shared is true). Callers with equal budgets share; a run with a
//     smaller budget could hand out a timeout this caller would not have
//     had, and a run that outlasts this caller's budget would answer after
//     Prometheus gave up, so neither is joined.
//   - Otherwise it starts a run that later callers can join, if the target
//     has fewer than MaxRunsPerTarget runs in flight and Options.Admit
//     allows it; else it returns ErrBusy.
//
// The run does not belong to any one caller: a caller whose ctx is canceled
// gets a report of canceled checks at once while the others keep waiting,
// and only when every caller has left is the run stopped (and then neither
// cached nor recorded). A run cut short by a budget smaller than the
// target's timeout is not cached for others. The run never outlives its
// deadline, so nothing leaks. Reports are shared between callers and must
// not be modified.
func (p *Prober) ProbeShared(ctx context.Context, timeout time.Duration) (*Report, error) {
	now := time.Now()
	deadline := now.Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	budget := deadline.Sub(now)
	s := &p.share
	s.mu.Lock()
	if r := s.cached(now, time.Duration(p.target.MinInterval)); r != nil {
		s.mu.Unlock()
		return r, nil
	}
	f, joined := s.flight, true
	if f == nil || f.budget < budget || f.deadline.After(deadline) {
		var err error
		if f, err = p.startRun(ctx, budget, deadline); err != nil {
			s.mu.Unlock()
			return nil, err
		}
		joined = false
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
			return canceledReport(p, now, timeout), nil
		}
		<-f.done
	}
	r := *f.report // each caller gets its own copy of the top-level fields
	r.Shared = joined
	return &r, nil
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

// startRun starts a chain run in the background, when the per-target cap
// and Options.Admit allow. It becomes the run later callers join unless the
// one registered has the larger budget. p.share.mu must be held.
func (p *Prober) startRun(ctx context.Context, budget time.Duration, deadline time.Time) (*sharedRun, error) {
	s := &p.share
	if s.running >= MaxRunsPerTarget {
		return nil, fmt.Errorf("%w: target %q has %d runs in flight", ErrBusy, p.target.Name, s.running)
	}
	release := func() {}
	if p.opts.Admit != nil {
		var ok bool
		if release, ok = p.opts.Admit(); !ok {
			return nil, ErrBusy
		}
	}
	// The run must not end when the caller that started it goes away, so it
	// drops ctx's cancellation (keeping its values) and runs to its own deadline.
	runCtx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	f := &sharedRun{budget: budget, deadline: deadline, done: make(chan struct{}), cancel: cancel}
	if s.flight == nil || s.flight.budget <= budget {
		s.flight = f
	}
	s.running++
	go func() {
		defer release()
		defer cancel()
		f.finish(p, p.Probe(runCtx, budget))
	}()
	return f, nil
}

// finish publishes the run's report to its waiters, keeps it for
// min_interval when it is fit for other callers, and records it.
func (f *sharedRun) finish(p *Prober, r *Report) {
	s := &p.share
	s.mu.Lock()
	s.running--
	if s.flight == f {
		s.flight = nil
	}
	keep := !f.stopped && (f.budget >= time.Duration(p.target.Timeout) || !r.cutShort())
	if keep && r.End().After(s.lastAt) {
		s.last, s.lastAt = r, r.End()
	}
	f.report = r
	stopped := f.stopped
	s.mu.Unlock()
	// Recorded before any waiter gets the report, so a page loaded after
	// a scrape returned shows that scrape's run.
	if !stopped && p.opts.OnRun != nil {
		p.opts.OnRun(r)
	}
	close(f.done)
}

// cutShort reports whether a check ran out of time or was canceled: with a
// budget smaller than the target's, another caller might not have.
func (r *Report) cutShort() bool {
	for _, c := range r.Checks {
		if c.Reason == ReasonTimeout || c.Reason == ReasonCanceled {
			return true
		}
	}
	return false
}

// leave records that a waiter gave up; the last one to leave stops the run
// and unregisters it, so a later caller starts afresh instead of joining a
// run that is being canceled.
func (s *sharing) leave(f *sharedRun) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f.waiters--
	if f.waiters > 0 || f.report != nil {
		return
	}
	f.stopped = true
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
