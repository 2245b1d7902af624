package bench

import (
	"context"
	"encoding/pem"
	"fmt"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim/simtest"
)

// criticalPathRequests is the longest chain of requests that must follow
// one another in the default chain: /api/me → routes → chap health → chap
// system info. A probe cannot take less than this many round trips.
const criticalPathRequests = 4

// BenchmarkChain probes the simulator over TLS (ca_file) with warm
// connections and a per-request latency L, and reports, per probe:
//
//   - wall/critical: probe wall time divided by the critical path (4 × L),
//     the median over the probes of the run (a busy machine delays single
//     probes; the median shows the chain's structure, ns/op the mean);
//   - seq-sum-ms: what the same requests would take one after another (the
//     sum of the simulator's handling times);
//   - dhis2-requests/probe: every HTTP request the simulator received,
//     counting the http_2xx front page's redirect to the login page as the
//     second request it is (so the full chain is 7 + 1 = 8);
//   - new-conns/probe: TCP (and TLS) connections opened after the warm-up.
func BenchmarkChain(b *testing.B) {
	for _, latency := range []time.Duration{20 * time.Millisecond, 50 * time.Millisecond} {
		b.Run(fmt.Sprintf("L=%s", latency), func(b *testing.B) {
			sim, srv := serveSim(b)
			p := newProber(b, writeConfig(b, srv.URL, serverCA(srv)))
			defer p.Close()
			sim.Update(func(st *dhis2sim.State) { st.Latency = latency })
			// Warm up: the first probes open the connections the chain needs.
			for range 10 {
				if r := p.Probe(context.Background(), 10*time.Second); !r.Success() {
					b.Fatalf("warm-up probe failed: %+v", r.Checks)
				}
			}
			sim.ClearRequests()
			var walls []time.Duration
			for b.Loop() {
				r := p.Probe(context.Background(), 10*time.Second)
				if !r.Success() {
					b.Fatalf("probe failed: %+v", r.Checks)
				}
				walls = append(walls, r.Duration)
			}
			var seq time.Duration
			reqs := sim.Requests()
			for _, req := range reqs {
				seq += req.End.Sub(req.Start)
			}
			n := float64(len(walls))
			slices.Sort(walls)
			critical := criticalPathRequests * latency
			b.ReportMetric(float64(walls[len(walls)/2])/float64(critical), "wall/critical")
			b.ReportMetric(float64(seq.Milliseconds())/n, "seq-sum-ms")
			b.ReportMetric(float64(len(reqs))/n, "dhis2-requests/probe")
			b.ReportMetric(float64(sim.Connections())/n, "new-conns/probe")
		})
	}
}

// serveSim serves a simulator over TLS in this process, counting its
// connections, so that the benchmark can set its latency and read what it
// received.
func serveSim(b *testing.B) (*dhis2sim.Sim, *httptest.Server) {
	sim := dhis2sim.New(dhis2sim.Options{})
	return sim, simtest.Serve(b, sim, true)
}

// serverCA returns a function that writes srv's certificate, the CA a
// client must trust, to a PEM file.
func serverCA(srv *httptest.Server) func(path string) error {
	return func(path string) error {
		return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	}
}
