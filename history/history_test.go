package history_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/history"
	"github.com/dhis2-chap/chap_exporter/prober"
)

// t0 is the start of a bucket, so offsets below land in known buckets.
var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// run builds a report of target at t0+at whose checks have the given
// statuses ("ok", "fail:upstream_down", ...), in chain order.
func run(target string, at time.Duration, statuses ...string) *prober.Report {
	r := &prober.Report{Target: target, Start: t0.Add(at), Duration: 200 * time.Millisecond}
	for i, s := range statuses {
		status, reason, _ := strings.Cut(s, ":")
		r.Checks = append(r.Checks, prober.Result{Check: fmt.Sprintf("check%d", i), Status: prober.Status(status), Reason: prober.Reason(reason)})
	}
	return r
}

func TestStateSinceAndIncidents(t *testing.T) {
	var s history.Store
	for _, r := range []*prober.Report{
		run("a", 0, "ok", "ok"),
		run("a", time.Minute, "ok", "fail:upstream_down"),
		run("a", 2*time.Minute, "ok", "fail:upstream_down"),
		run("a", 40*time.Minute, "ok", "ok"),
		run("a", 41*time.Minute, "fail:connection", "skipped:requirement"),
		run("a", 42*time.Minute, "ok", "warn:no_version"),
	} {
		s.Record(r)
	}
	now := t0.Add(45 * time.Minute)
	d, ok := s.Detail("a", now)
	if !ok {
		t.Fatal("no history for a")
	}
	if d.State != history.Degraded || !d.Since.Equal(t0.Add(42*time.Minute)) || d.SinceFirst {
		t.Errorf("state %s since %s (first record: %t), want degraded since 12:42, not the first record", d.State, d.Since, d.SinceFirst)
	}
	want := []history.Incident{
		{Check: "check0", Status: prober.StatusFail, Reason: prober.ReasonConnection, Start: t0.Add(41 * time.Minute), End: t0.Add(42 * time.Minute)},
		{Check: "check1", Status: prober.StatusFail, Reason: prober.ReasonUpstreamDown, Start: t0.Add(time.Minute), End: t0.Add(40 * time.Minute)},
	}
	if fmt.Sprint(d.Incidents) != fmt.Sprint(want) {
		t.Errorf("incidents (newest first)\n got %v\nwant %v", d.Incidents, want)
	}
	if got := d.Incidents[1].Duration(now); got != 39*time.Minute {
		t.Errorf("first incident lasted %s, want 39m", got)
	}
	// 12:00-12:30: 3 runs, 1 up, worst fail; 12:30-13:00: 3 runs, 2 not down, worst fail.
	last := d.Bars[history.Buckets-1]
	prev := d.Bars[history.Buckets-2]
	if prev.Runs != 3 || prev.Good != 1 || prev.Severity != history.SevFail || !prev.Start.Equal(t0) {
		t.Errorf("12:00 bar = %+v, want 3 runs, 1 good, fail", prev)
	}
	if last.Runs != 3 || last.Good != 2 || last.Severity != history.SevFail {
		t.Errorf("12:30 bar = %+v, want 3 runs, 2 good, fail", last)
	}
	if d.Bars[0].Runs != 0 || d.Bars[0].Severity != history.None {
		t.Errorf("oldest bar = %+v, want empty", d.Bars[0])
	}
	if d.Uptime != 0.5 {
		t.Errorf("uptime = %v, want 0.5", d.Uptime)
	}
	if c := d.Checks[1].Bars[history.Buckets-1]; c.Severity != history.SevSkipped || c.Good != 2 {
		t.Errorf("check1's 12:30 bar = %+v, want worst skipped and 2 good (ok, warn)", c)
	}
	if mean := last.MeanSeconds; mean < 0.199 || mean > 0.201 {
		t.Errorf("mean duration = %v, want 0.2", mean)
	}
}

func TestOngoingIncidentAndWindow(t *testing.T) {
	var s history.Store
	s.Record(run("a", 0, "fail:auth"))
	s.Record(run("a", 30*time.Hour, "fail:auth"))
	d, _ := s.Detail("a", t0.Add(30*time.Hour))
	if len(d.Incidents) != 1 || !d.Incidents[0].End.IsZero() {
		t.Fatalf("incidents = %v, want one ongoing", d.Incidents)
	}
	if got := d.Incidents[0].Duration(t0.Add(31 * time.Hour)); got != 31*time.Hour {
		t.Errorf("ongoing for %s, want 31h", got)
	}
	runs := 0
	for _, b := range d.Bars {
		runs += b.Runs
	}
	if runs != 1 {
		t.Errorf("the window holds %d runs, want only the one of the last 24h", runs)
	}
	if d.State != history.Down || !d.Since.Equal(t0) || !d.SinceFirst {
		t.Errorf("state %s since %s (first record: %t), want down since the first run", d.State, d.Since, d.SinceFirst)
	}
}

func TestIncidentsAreBounded(t *testing.T) {
	var s history.Store
	for i := range 3 * history.MaxIncidents {
		s.Record(run("a", time.Duration(2*i)*time.Minute, "fail:timeout"))
		s.Record(run("a", time.Duration(2*i+1)*time.Minute, "ok"))
	}
	s.Record(run("a", 200*time.Minute, "fail:timeout"))
	d, _ := s.Detail("a", t0.Add(200*time.Minute))
	if len(d.Incidents) != history.MaxIncidents {
		t.Fatalf("%d incidents kept, want %d", len(d.Incidents), history.MaxIncidents)
	}
	if !d.Incidents[0].End.IsZero() || !d.Incidents[1].End.Equal(t0.Add(119*time.Minute)) {
		t.Errorf("newest incidents = %v, %v; want the ongoing one, then the one that ended at 13:59", d.Incidents[0], d.Incidents[1])
	}
	s.Record(run("a", 201*time.Minute, "ok"))
	d, _ = s.Detail("a", t0.Add(201*time.Minute))
	if !d.Incidents[0].End.Equal(t0.Add(201 * time.Minute)) {
		t.Errorf("recovery did not close the newest incident: %v", d.Incidents[0])
	}
}

func TestRetainAndUnknown(t *testing.T) {
	var s history.Store
	if _, ok := s.Summary("a", t0); ok {
		t.Error("an empty store knows a")
	}
	s.Record(run("a", 0, "ok"))
	s.Record(run("b", 0, "ok"))
	s.Retain(func(name string) bool { return name == "a" })
	if _, ok := s.Summary("b", t0); ok {
		t.Error("b survived Retain")
	}
	if sum, ok := s.Summary("a", t0); !ok || sum.State != history.Up || sum.Uptime != 1 {
		t.Errorf("a = %+v, %t; want up with 100%% uptime", sum, ok)
	}
}

// fullDay records 24 hours of probes of each target, one every 5 minutes:
// every bucket filled, as a 15 s scrape interval would fill it.
func fullDay(s *history.Store, targets int) {
	for i := range targets {
		name := fmt.Sprintf("target-%04d", i)
		for m := time.Duration(0); m < history.Window; m += 5 * time.Minute {
			r := run(name, m, "ok", "ok", "ok", "ok", "ok", "ok", "ok")
			if i%10 == 0 && m%(2*time.Hour) == 0 {
				r = run(name, m, "ok", "ok", "fail:upstream_down", "skipped:requirement", "skipped:requirement", "skipped:requirement", "ok")
			}
			for j := range r.Checks {
				r.Checks[j].Message = strings.Repeat("m", 80)
				r.Checks[j].Requests = []prober.Request{{Path: "/api/routes/chap/run/health", StatusCode: 200}}
			}
			s.Record(r)
		}
	}
}

// TestBytesEstimateMatchesHeap keeps the figure reported on /metrics honest:
// within a quarter of what the heap grew by for 1 000 targets with a full day.
func TestBytesEstimateMatchesHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("records 288 000 probes")
	}
	before := heap()
	s := &history.Store{}
	fullDay(s, 1000)
	grown := heap() - before
	estimate := s.Bytes()
	runtime.KeepAlive(s)
	t.Logf("1000 targets × 7 checks, full day: heap grew %d bytes (%d per target), estimate %d", grown, grown/1000, estimate)
	if ratio := float64(estimate) / float64(grown); ratio < 0.75 || ratio > 1.25 {
		t.Errorf("estimate %d is %.2f× the heap growth %d", estimate, ratio, grown)
	}
}

func heap() int {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int(m.HeapAlloc)
}

// BenchmarkHistoryMemory reports the memory of a full day of history for
// 1 000 targets with 7 checks each.
func BenchmarkHistoryMemory(b *testing.B) {
	for b.Loop() {
		before := heap()
		s := &history.Store{}
		fullDay(s, 1000)
		grown := heap() - before
		runtime.KeepAlive(s)
		b.ReportMetric(float64(grown)/1000, "bytes/target")
		b.ReportMetric(float64(grown)/(1<<20), "MiB/1000targets")
	}
}

// TestIncidentsOfNewChecksWhenFull: with the incident list full, two checks
// failing for the first time in one run each get their own incident, and
// their recovery closes those, not others.
func TestIncidentsOfNewChecksWhenFull(t *testing.T) {
	var s history.Store
	for i := range history.MaxIncidents {
		s.Record(run("a", time.Duration(2*i)*time.Minute, "fail:timeout"))
		s.Record(run("a", time.Duration(2*i+1)*time.Minute, "ok"))
	}
	s.Record(run("a", 100*time.Minute, "ok", "fail:auth", "fail:tls")) // check1 and check2 are new
	s.Record(run("a", 101*time.Minute, "ok", "ok", "fail:tls"))
	s.Record(run("a", 102*time.Minute, "ok", "ok", "ok"))
	d, _ := s.Detail("a", t0.Add(102*time.Minute))
	got := map[string]history.Incident{}
	for _, inc := range d.Incidents[:2] {
		got[inc.Check] = inc
	}
	if inc := got["check1"]; inc.Reason != prober.ReasonAuth || !inc.End.Equal(t0.Add(101*time.Minute)) {
		t.Errorf("check1's incident = %+v, want auth, recovered at 13:41", inc)
	}
	if inc := got["check2"]; inc.Reason != prober.ReasonTLS || !inc.End.Equal(t0.Add(102*time.Minute)) {
		t.Errorf("check2's incident = %+v, want tls, recovered at 13:42", inc)
	}
}

// TestOngoingIncidentOutlivesNewerOnes: a check failing all along keeps its
// one incident, with the time it broke, however many incidents another
// check opens and closes meanwhile; its recovery closes that incident.
func TestOngoingIncidentOutlivesNewerOnes(t *testing.T) {
	var s history.Store
	at := time.Duration(0)
	for range history.MaxIncidents + 5 {
		s.Record(run("a", at, "fail:auth", "fail:timeout"))
		s.Record(run("a", at+time.Minute, "fail:auth", "ok"))
		at += 2 * time.Minute
	}
	s.Record(run("a", at, "ok", "ok"))
	d, _ := s.Detail("a", t0.Add(at))
	if len(d.Incidents) != history.MaxIncidents {
		t.Fatalf("%d incidents kept, want %d", len(d.Incidents), history.MaxIncidents)
	}
	var check0 []history.Incident
	for _, inc := range d.Incidents {
		if inc.Check == "check0" {
			check0 = append(check0, inc)
		}
	}
	if len(check0) != 1 || !check0[0].Start.Equal(t0) || !check0[0].End.Equal(t0.Add(at)) {
		t.Errorf("check0's incidents = %v, want one from 12:00 until its recovery at %s", check0, t0.Add(at).Format("15:04"))
	}
}
