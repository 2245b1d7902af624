package server

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"

	"github.com/dhis2-chap/chap_exporter/collector"
	"github.com/dhis2-chap/chap_exporter/prober"
)

// maxTargetEcho bounds how much of an unknown target name is repeated back.
const maxTargetEcho = 64

// handleProbe runs the chain for ?target=NAME. A probe that finds the target
// down still answers 200: only caller mistakes get 4xx.
func (s *Server) handleProbe(w http.ResponseWriter, r *http.Request) {
	if !s.allowGetHead(w, r) {
		return
	}
	query := r.URL.Query()
	p, ok := s.proberFor(w, r.URL.Path, query)
	if !ok {
		return
	}
	debug, err := parseDebug(query["debug"])
	if err != nil {
		s.reject(w, "bad_request", err.Error())
		return
	}
	report := s.runProbe(w, r, p)
	if report == nil {
		return
	}
	if debug {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		writeDebugReport(w, report, p)
		return
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector.NewProbe(report))
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}

// allowGetHead answers 405 to other methods (counted as a rejection) for
// the endpoints that probe.
func (s *Server) allowGetHead(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	s.metrics.Rejected("method_not_allowed")
	http.Error(w, r.URL.Path+" takes GET or HEAD", http.StatusMethodNotAllowed)
	return false
}

func (s *Server) reject(w http.ResponseWriter, reason, msg string) {
	s.metrics.Rejected(reason)
	http.Error(w, msg, http.StatusBadRequest)
}

func (s *Server) logProbe(r *prober.Report) {
	s.logger.Debug("Probe finished", "target", r.Target, "success", r.Success(), "duration_seconds", r.Duration.Seconds())
	for _, c := range r.Checks {
		s.logger.Debug("Check finished", "target", r.Target, "check", c.Check, "status", c.Status,
			"reason", c.Reason, "duration_seconds", c.Duration.Seconds(), "message", c.Message)
	}
}

func parseDebug(values []string) (bool, error) {
	switch len(values) {
	case 0:
		return false, nil
	case 1:
		b, err := strconv.ParseBool(values[0])
		if err != nil {
			return false, fmt.Errorf("debug must be true or false, not %q", echo(values[0]))
		}
		return b, nil
	}
	return false, fmt.Errorf("debug parameter given more than once")
}

// scrapeTimeoutHeader is where Prometheus says how long it waits for a scrape.
const scrapeTimeoutHeader = "X-Prometheus-Scrape-Timeout-Seconds"

// probeTimeout is the target's timeout, shortened to fit Prometheus's scrape
// timeout (from its header) minus offset. A header that is not a finite
// positive number of seconds is ignored (ok is false) rather than failing
// the scrape or, worse, shortening it to nothing.
func probeTimeout(target time.Duration, header string, offset time.Duration) (timeout time.Duration, ok bool) {
	if header == "" {
		return target, true
	}
	seconds, err := strconv.ParseFloat(header, 64)
	if err != nil || math.IsNaN(seconds) || math.IsInf(seconds, 0) || seconds <= 0 {
		return target, false
	}
	if seconds >= target.Seconds()+offset.Seconds() { // also keeps 1e300 from overflowing a Duration
		return target, true
	}
	scrape := time.Duration(seconds * float64(time.Second))
	if scrape > offset {
		scrape -= offset
	}
	return min(target, scrape), true
}

// echo cuts a caller's input to at most maxTargetEcho bytes, at a
// character boundary, before it is echoed (always quoted) in an error or a
// log line.
func echo(s string) string { return prober.Truncate(s, maxTargetEcho, prober.Bytes) }

// writeDebugReport explains the probe for a person: each check with its
// requests, then the metrics Prometheus would get, then the target's config.
func writeDebugReport(w io.Writer, r *prober.Report, p *prober.Prober) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector.NewProbe(r))
	fmt.Fprintf(w, "Probe of target %q (%s, kind %s) at %s: success=%t duration=%s budget=%s\n",
		r.Target, r.Label, r.Kind, r.Start.UTC().Format(time.RFC3339), r.Success(), r.Duration.Round(time.Millisecond), r.Timeout)
	switch {
	case r.Age > 0:
		fmt.Fprintf(w, "Served from the min_interval cache: these results are %s old.\n", r.Age.Round(time.Millisecond))
	case r.Shared:
		fmt.Fprintln(w, "Shared with a concurrent scrape of the same target.")
	}
	fmt.Fprintln(w)
	for _, c := range r.Checks {
		fmt.Fprintf(w, "%s: %s in %s\n", c.Check, c.Outcome(), c.Duration.Round(time.Microsecond))
		for _, req := range c.Requests {
			fmt.Fprintf(w, "    GET %s → %s\n", req.Path, describeRequest(req))
		}
		if c.Message != "" {
			fmt.Fprintf(w, "    %s\n", c.Message)
		}
		for _, name := range slices.Sorted(maps.Keys(c.Subsystems)) {
			fmt.Fprintf(w, "    subsystem %s: %s\n", name, c.Subsystems[name])
		}
	}
	fmt.Fprintln(w, "\nMetrics that would have been returned:")
	var buf bytes.Buffer
	mfs, err := reg.Gather()
	if err != nil {
		fmt.Fprintf(w, "error gathering metrics: %v\n", err)
	}
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		_ = enc.Encode(mf)
	}
	_, _ = w.Write(buf.Bytes())
	fmt.Fprintln(w, "\nTarget configuration (secrets hidden):")
	fmt.Fprint(w, p.Target().String())
}

func describeRequest(req prober.Request) string {
	var parts []string
	if req.StatusCode != 0 {
		parts = append(parts, strconv.Itoa(req.StatusCode))
	}
	if req.Error != "" {
		parts = append(parts, req.Error)
	}
	if req.Shared {
		parts = append(parts, "(shared with another check)")
	} else {
		parts = append(parts, "in "+req.Duration.Round(time.Microsecond).String())
	}
	return strings.Join(parts, " ")
}
