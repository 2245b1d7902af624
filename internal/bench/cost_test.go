package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/internal/simfarm"
	"github.com/dhis2-chap/chap_exporter/server"
)

// BenchmarkProbeCost measures the exporter's CPU time (cpu-ns/probe, user +
// system, all threads) and allocations per probe at zero latency over TLS
// with warm connections. "prober" is the chain alone; "scrape" is a whole
// /probe request through the server handler, metrics encoding included.
func BenchmarkProbeCost(b *testing.B) {
	child, err := simfarm.Spawn(1, 0, "-test.run=^$", "-test.bench=^$")
	if err != nil {
		b.Fatal(err)
	}
	defer child.Close()
	path := writeConfig(b, child.URLs[0], child.WriteCA)

	b.Run("prober", func(b *testing.B) {
		p := newProber(b, path)
		defer p.Close()
		run := func() {
			if r := p.Probe(context.Background(), 10*time.Second); !r.Success() {
				b.Fatalf("probe failed: %+v", r.Checks)
			}
		}
		measure(b, run)
	})
	b.Run("scrape", func(b *testing.B) {
		srv, err := server.New(server.Options{ConfigFile: path, UserAgent: "chap_exporter/bench"})
		if err != nil {
			b.Fatal(err)
		}
		h := srv.Handler()
		run := func() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/probe?target=sim", nil))
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		}
		measure(b, run)
	})
}

// measure warms connections up, then runs run in a b.Loop and reports CPU
// time per run.
func measure(b *testing.B, run func()) {
	for range 10 {
		run()
	}
	b.ReportAllocs()
	start, n := cpuTime(b), 0
	for b.Loop() {
		run()
		n++
	}
	b.ReportMetric(float64(cpuTime(b)-start)/float64(n), "cpu-ns/probe")
}
