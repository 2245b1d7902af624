package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/config"
	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/internal/simfarm"
	"github.com/dhis2-chap/chap_exporter/prober"
	"github.com/dhis2-chap/chap_exporter/server"
)

func TestMain(m *testing.M) {
	simfarm.MaybeChild()
	os.Exit(m.Run())
}

// writeConfig writes a one-target configuration for the child's first
// simulator, over TLS with its CA, and returns the file's path.
func writeConfig(b *testing.B, child *simfarm.Child) string {
	b.Helper()
	dir := b.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := child.WriteCA(ca); err != nil {
		b.Fatal(err)
	}
	b.Setenv("SIM_TOKEN", dhis2sim.DefaultToken)
	path := filepath.Join(dir, "chap.yml")
	content := fmt.Sprintf("targets:\n  sim:\n    url: %s\n    auth: {token_env: SIM_TOKEN}\n    tls_config: {ca_file: %s}\n", child.URLs[0], ca)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

// cpuTime is the user plus system CPU time this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

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
	path := writeConfig(b, child)

	b.Run("prober", func(b *testing.B) {
		cfg, err := config.Load(path, prober.KindsOf)
		if err != nil {
			b.Fatal(err)
		}
		p, err := prober.New(cfg.Targets["sim"], prober.NewHostLimiter(prober.DefaultMaxRequestsPerHost), prober.Options{UserAgent: "chap_exporter/bench"})
		if err != nil {
			b.Fatal(err)
		}
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
