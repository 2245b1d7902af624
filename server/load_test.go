package server_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/server"
)

// loadTargets are the mix of healthy and faulty targets the load test
// probes, each on its own simulator; "" is a port nobody listens on.
var loadTargets = []string{"healthy", "chap-core-down", "bad-credentials", "malformed-json", "not-dhis2", ""}

// TestManyProbesLeakNothing runs 10 000 probes over healthy and faulty
// targets, 50 at a time, in process (the handler is called directly; the
// targets are real listeners on 127.0.0.1). Afterwards no goroutine is left
// behind, and the heap after 10 000 probes is no larger than after 2 000
// beyond a fixed allowance: nothing is kept per probe.
//
// Under -race every round trip is several times slower, so that run probes
// a tenth as often (it is there for data races); make test also runs this
// test without -race, at full size.
func TestManyProbesLeakNothing(t *testing.T) {
	probes, checkpoint := 10_000, 2_000
	if raceDetector {
		probes, checkpoint = 1_000, 200
	}
	const (
		concurrency = 50
		// heapAllowance absorbs what the runtime and the metric series of
		// a handful of targets settle at; growth per probe would be
		// multiplied by thousands of probes.
		heapAllowance = 4 << 20
	)
	goroutinesBefore := runtime.NumGoroutine()
	leftBefore := goleak.IgnoreCurrent()

	var config strings.Builder
	config.WriteString("targets:\n")
	var servers []*httptest.Server
	var sims []*dhis2sim.Sim
	for i, scenario := range loadTargets {
		url := "http://127.0.0.1:1" // nothing listens on port 1: refused
		if scenario != "" {
			sim := dhis2sim.New(dhis2sim.Options{})
			sim.Update(func(st *dhis2sim.State) {
				if err := dhis2sim.ApplyScenario(st, scenario); err != nil {
					t.Fatal(err)
				}
			})
			srv := httptest.NewServer(sim)
			servers, sims = append(servers, srv), append(sims, sim)
			url = srv.URL
		}
		fmt.Fprintf(&config, "  t%d:\n    url: %s\n    auth: {token_env: LOAD_TOKEN}\n    timeout: 10s\n", i, url)
	}
	t.Setenv("LOAD_TOKEN", dhis2sim.DefaultToken)
	file := filepath.Join(t.TempDir(), "chap.yml")
	if err := os.WriteFile(file, []byte(config.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{ConfigFile: file, MaxRequests: concurrency})
	if err != nil {
		t.Fatal(err)
	}
	handler := srv.Handler()

	heapNow := func() uint64 {
		for _, sim := range sims {
			sim.ClearRequests() // the simulators' request logs are theirs, not the exporter's
		}
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var (
		statusBad atomic.Int64
		failures  sync.Map // target index → true when one of its probes failed
		maxHeap   uint64
	)
	// run probes first..last-1 with concurrency workers, sampling the heap
	// every 1000 probes.
	run := func(first, last int) {
		var next atomic.Int64
		next.Store(int64(first) - 1)
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range concurrency {
			wg.Go(func() {
				for n := int(next.Add(1)); n < last; n = int(next.Add(1)) {
					target := n % len(loadTargets)
					rec := httptest.NewRecorder()
					handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, fmt.Sprintf("/probe?target=t%d", target), nil))
					if rec.Code != 200 {
						statusBad.Add(1)
					}
					if !strings.Contains(rec.Body.String(), "\nprobe_success 1\n") {
						failures.Store(target, true)
					}
					if n%1000 == 0 {
						h := heapNow()
						mu.Lock()
						maxHeap = max(maxHeap, h)
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
	}
	run(0, checkpoint)
	heapAt2k := heapNow()
	run(checkpoint, probes)
	heapAt10k := heapNow()
	maxHeap = max(maxHeap, heapAt2k, heapAt10k)

	if n := statusBad.Load(); n != 0 {
		t.Errorf("%d probes answered other than 200", n)
	}
	for i, scenario := range loadTargets {
		_, failed := failures.Load(i)
		if wantFail := scenario != "healthy"; failed != wantFail {
			t.Errorf("target %q: some probe failed = %t, want %t", scenario, failed, wantFail)
		}
	}
	t.Logf("%d probes at concurrency %d: heap after %d probes %.1f MiB, after %d %.1f MiB, max %.1f MiB",
		probes, concurrency, checkpoint, mib(heapAt2k), probes, mib(heapAt10k), mib(maxHeap))
	if heapAt10k > heapAt2k+heapAllowance {
		t.Errorf("heap grew from %.1f MiB after %d probes to %.1f MiB after %d", mib(heapAt2k), checkpoint, mib(heapAt10k), probes)
	}

	for _, s := range servers {
		s.Close() // closes the probers' kept-alive connections from the far end
	}
	goleak.VerifyNone(t, leftBefore) // retries while those connections' goroutines end
	t.Logf("goroutines before %d, after %d", goroutinesBefore, runtime.NumGoroutine())
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
