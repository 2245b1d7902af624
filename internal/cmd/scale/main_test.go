package main

import (
	"os"
	"testing"
	"time"
)

// TestProcReaders reads this process's own CPU time and peak RSS, which
// must parse and be plausible.
func TestProcReaders(t *testing.T) {
	spins := 0
	for busy := time.Now(); time.Since(busy) < 30*time.Millisecond; {
		spins++ // some CPU time to measure
	}
	t.Logf("%d spins", spins)
	cpu, err := cpuTime(os.Getpid())
	if err != nil || cpu <= 0 {
		t.Errorf("cpuTime = %s, %v; want > 0", cpu, err)
	}
	rss, err := peakRSS(os.Getpid())
	if err != nil || rss < 1<<20 {
		t.Errorf("peakRSS = %d, %v; want at least 1 MiB", rss, err)
	}
}

func TestPercentile(t *testing.T) {
	ms := time.Millisecond
	ds := []time.Duration{5 * ms, 1 * ms, 4 * ms, 2 * ms, 3 * ms}
	for _, tt := range []struct {
		p    int
		want time.Duration
	}{{0, ms}, {50, 3 * ms}, {100, 5 * ms}} {
		if got := pct(ds, tt.p); got != tt.want {
			t.Errorf("pct(%d) = %d, want %d", tt.p, got, tt.want)
		}
	}
	if pct(nil, 50) != 0 {
		t.Error("pct of nothing is not 0")
	}
}
