package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
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
	if !ok { // the list is cut like a result's, so a large configuration cannot make every typo's answer large
		s.reject(w, "unknown_target", fmt.Sprintf("unknown target %q: configured targets are %s",
			echo(targets[0]), prober.ListText(st.cfg.Names(), ", ")))
		return nil, false
	}
	return p, true
}

// runProbe probes under the same budget rules as /probe (target timeout,
// capped by Prometheus's scrape timeout header minus the offset) and counts
// the scrape; the run behind it is recorded once, by recordRun. When no run
// may start it answers 503 itself and returns nil.
func (s *Server) runProbe(w http.ResponseWriter, r *http.Request, p *prober.Prober) *prober.Report {
	target := time.Duration(p.Target().Timeout)
	header := r.Header.Get(scrapeTimeoutHeader)
	timeout, ok := probeTimeout(target, header, s.opts.TimeoutOffset)
	if !ok {
		s.metrics.TimeoutHeaderIgnored()
		s.logger.Debug("Ignoring a scrape timeout header that is not a finite positive number of seconds",
			"target", p.Target().Name, "header", echo(header))
	}
	rep, err := p.ProbeShared(r.Context(), timeout) // shared with concurrent scrapes, cached for min_interval
	if err != nil {
		s.metrics.Rejected("too_many_requests")
		http.Error(w, fmt.Sprintf("%v (at most %d runs at once, --web.max-requests, and %d per target); try again later",
			err, cap(s.admission), prober.MaxRunsPerTarget), http.StatusServiceUnavailable)
		return nil
	}
	s.metrics.CountProbe(rep)
	return rep
}

// recordRun is the one place a chain run's side effects happen: the log
// lines, the status page history and the duration histogram, once per run
// however many scrapes shared it. A run that was in flight when a reload
// removed its target is not recorded: the reload has already forgotten the
// target's history, and nothing would forget it again.
func (s *Server) recordRun(rep *prober.Report) {
	s.logProbe(rep)
	if _, configured := s.state.Load().probers[rep.Target]; configured {
		s.history.Record(rep)
	}
	s.metrics.ObserveRun(rep)
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
	rep := s.runProbe(w, r, p)
	if rep == nil {
		return
	}
	health := report.NewHealth(rep)
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
