package server

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/version"

	"github.com/dhis2-chap/chap_exporter/config"
	"github.com/dhis2-chap/chap_exporter/dashboard"
)

// site is the frame of the status pages for this request: the configured
// ui section, and the theme asked for with ?theme= when it is a known one.
func (s *Server) site(r *http.Request, cfg *config.Config) dashboard.Site {
	site := dashboard.Site{UI: cfg.UI, Version: version.Version, Started: s.started, Now: time.Now()}
	if theme := config.Theme(r.URL.Query().Get("theme")); theme.Valid() {
		site.Theme = theme
	}
	return site
}

// dashboardTargets lists the configured targets with their chain plans.
func dashboardTargets(st *state) []dashboard.Target {
	targets := make([]dashboard.Target, 0, len(st.probers))
	for _, name := range st.cfg.Names() {
		targets = append(targets, dashboardTarget(st, name))
	}
	return targets
}

func dashboardTarget(st *state, name string) dashboard.Target {
	t, p := st.cfg.Targets[name], st.probers[name]
	return dashboard.Target{Name: name, Label: t.Label(), Kind: t.Kind, URL: t.URL,
		Group: t.Labels[st.cfg.UI.GroupBy], Checks: p.Checks()}
}

// handleStatusPage renders the board from the history of probes that ran;
// it never probes.
func (s *Server) handleStatusPage(w http.ResponseWriter, r *http.Request) {
	st := s.state.Load()
	page, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || page < 1 {
		page = 1
	}
	var buf bytes.Buffer
	if err := dashboard.RenderBoard(&buf, s.site(r, st.cfg), dashboardTargets(st), &s.history, page); err != nil {
		s.renderFailed(w, "board", err)
		return
	}
	writeHTML(w, buf.Bytes())
}

// handleTargetPage renders one target's history, incidents and last report.
func (s *Server) handleTargetPage(w http.ResponseWriter, r *http.Request) {
	st := s.state.Load()
	name := r.PathValue("name")
	p, ok := st.probers[name]
	if !ok {
		http.Error(w, "unknown target "+strconv.Quote(echo(name)), http.StatusNotFound)
		return
	}
	site := s.site(r, st.cfg)
	d, _ := s.history.Detail(name, site.Now) // one read, so the debug report is of the run the page shows
	var debug strings.Builder
	if d.Last != nil {
		writeDebugReport(&debug, d.Last, p)
	}
	var buf bytes.Buffer
	err := dashboard.RenderTarget(&buf, site, dashboardTarget(st, name), d, debug.String(), probeNowOf(r))
	if err != nil {
		s.renderFailed(w, "target page", err)
		return
	}
	writeHTML(w, buf.Bytes())
}

// handleProbeNow runs a probe for the target's "Probe now" button, through
// the same code path and limits as /status, then shows the target's page
// with the fresh result. Cross-site requests are refused before this runs.
func (s *Server) handleProbeNow(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	p, ok := s.state.Load().probers[name]
	if !ok {
		s.metrics.Rejected("unknown_target")
		http.Error(w, "unknown target "+strconv.Quote(echo(name)), http.StatusNotFound)
		return
	}
	rep := s.runProbe(w, r, p)
	if rep == nil {
		return // refused, and answered, like /status
	}
	after := "?probed"
	if rep.Age > 0 {
		after = "?probed=cached" // min_interval answered: say so, not "just ran"
	}
	// Relative, unlike http.Redirect's, so it works under a proxy's path prefix.
	w.Header().Set("Location", "../"+url.PathEscape(name)+after)
	w.WriteHeader(http.StatusSeeOther)
}

// probeNowOf reads how the target page was reached from Probe now's redirect.
func probeNowOf(r *http.Request) dashboard.ProbeNow {
	switch q := r.URL.Query(); {
	case !q.Has("probed"):
		return dashboard.NotProbedNow
	case q.Get("probed") == "cached":
		return dashboard.ProbeNowCached
	default:
		return dashboard.ProbeNowRan
	}
}

// handleBadge answers /badge/NAME.svg: "chap | up", "degraded", "down" or
// "unknown" (not probed since the exporter started).
func (s *Server) handleBadge(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".svg")
	if _, known := s.state.Load().probers[name]; !ok || !known {
		http.Error(w, "no badge here: use /badge/NAME.svg with a configured target", http.StatusNotFound)
		return
	}
	sum, probed := s.history.Summary(name, time.Now())
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-cache")
	if err := dashboard.WriteBadge(w, dashboard.BadgeText(sum.State, probed)); err != nil {
		s.logger.Error("Writing a badge failed", "target", name, "err", err)
	}
}

func writeHTML(w http.ResponseWriter, page []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(page)
}

func (s *Server) renderFailed(w http.ResponseWriter, what string, err error) {
	s.logger.Error("Rendering the status page failed", "page", what, "err", err)
	http.Error(w, "rendering the "+what+" failed; see the exporter's log", http.StatusInternalServerError)
}
