package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dhis2-chap/chap_exporter/prober"
	"github.com/dhis2-chap/chap_exporter/report"
)

// proberFor looks up ?target=NAME, answering 400 itself when the target is
// missing, repeated or unknown. Nothing from the query is used but the name.
func (s *Server) proberFor(w http.ResponseWriter, path string, query url.Values) (*prober.Prober, bool) {
	targets := query["target"]
	switch {
	case len(targets) == 0 || targets[0] == "":
		s.reject(w, "missing_target", "missing target parameter: use "+path+"?target=NAME")
		return nil, false
	case len(targets) > 1:
		s.reject(w, "bad_request", "target parameter given more than once")
		return nil, false
	}
	st := s.state.Load()
	p, ok := st.probers[targets[0]]
	if !ok {
		s.reject(w, "unknown_target", fmt.Sprintf("unknown target %q: configured targets are %s",
			truncate(targets[0], maxTargetEcho), strings.Join(st.cfg.Names(), ", ")))
		return nil, false
	}
	return p, true
}

// runProbe probes under the same budget rules as /probe (target timeout,
// capped by Prometheus's scrape timeout header minus the offset) and
// records the result for /metrics, the logs and the status page.
func (s *Server) runProbe(r *http.Request, p *prober.Prober) *prober.Report {
	timeout := probeTimeout(time.Duration(p.Target().Timeout), r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"), s.opts.TimeoutOffset)
	rep := p.ProbeShared(r.Context(), timeout) // shared with concurrent scrapes, cached for min_interval
	s.metrics.ObserveProbe(rep)
	if rep.Age == 0 && !rep.Shared { // a shared or cached report was logged and recorded by the call that ran it
		s.logProbe(rep)
		s.history.Record(rep)
	}
	return rep
}

// handleStatus runs a probe and answers the chapkit-style health document:
// 200 when healthy or degraded, 503 when unhealthy, so load balancers and
// uptime monitors can use it as it is.
func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	if !s.allowGetHead(w, r) {
		return
	}
	p, ok := s.proberFor(w, r.URL.Path, r.URL.Query())
	if !ok {
		return
	}
	health := report.NewHealth(s.runProbe(r, p))
	code := http.StatusOK
	if health.Status == report.StateUnhealthy {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(health)
}
