// Package server is the exporter's HTTP surface: /probe, the landing page,
// /metrics, /config, health and reload endpoints. It owns the loaded
// configuration and swaps it atomically on reload.
package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dhis2-chap/chap_exporter/collector"
	"github.com/dhis2-chap/chap_exporter/config"
	"github.com/dhis2-chap/chap_exporter/prober"
)

// Options configure a Server.
type Options struct {
	ConfigFile string
	// TimeoutOffset is subtracted from Prometheus's scrape timeout so the
	// answer arrives before Prometheus gives up.
	TimeoutOffset time.Duration
	UserAgent     string
	Logger        *slog.Logger
	// MaxRequests bounds the /probe requests served at once; more get
	// 503. 0 means no limit.
	MaxRequests int
	// MaxRequestsPerHost bounds concurrent requests to one DHIS2 host
	// across all targets and reloads; 0 means no limit.
	MaxRequestsPerHost int
}

// Server serves the exporter's endpoints.
type Server struct {
	opts     Options
	logger   *slog.Logger
	registry *prometheus.Registry
	metrics  *collector.Exporter
	probes   limiter
	limiter  *prober.HostLimiter // one for the process, so reloads keep the limit

	reloadMu sync.Mutex // one reload at a time
	state    atomic.Pointer[state]
	history  history // probes that ran, for the status page
}

// state is one loaded configuration with its probers; probes take a pointer
// to it, so a reload never shows a probe half a config.
type state struct {
	cfg      *config.Config
	probers  map[string]*prober.Prober
	loadedAt time.Time
}

// New loads the configuration and returns a ready server.
func New(opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, logger: opts.Logger, registry: prometheus.NewRegistry(),
		probes: newLimiter(opts.MaxRequests), limiter: prober.NewHostLimiter(opts.MaxRequestsPerHost)}
	s.metrics = collector.NewExporter(s.registry)
	if _, err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// ErrUnchanged is returned by Reload when the file and its secrets are the
// same as the loaded ones.
var ErrUnchanged = errors.New("configuration unchanged")

// Reload loads the configuration file again. On error the old config stays
// in force; when nothing changed it returns ErrUnchanged.
func (s *Server) Reload() (*config.Config, error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	old := s.state.Load()

	next, err := s.load()
	if err != nil {
		s.metrics.ConfigLoaded(false, time.Time{}, 0)
		s.logger.Error("Loading configuration failed; keeping the previous one", "file", s.opts.ConfigFile, "err", err)
		return nil, err
	}
	if old != nil && old.cfg.Checksum == next.cfg.Checksum {
		closeAll(next.probers)
		s.metrics.ConfigLoaded(true, old.loadedAt, len(old.cfg.Targets))
		return old.cfg, ErrUnchanged
	}
	for _, w := range next.cfg.Warnings {
		s.logger.Warn("Discouraged configuration", "file", s.opts.ConfigFile, "warning", w)
	}
	s.state.Store(next)
	s.history.retain(func(name string) bool { _, ok := next.probers[name]; return ok })
	s.metrics.ConfigLoaded(true, next.loadedAt, len(next.cfg.Targets))
	s.logger.Info("Loaded configuration", "file", s.opts.ConfigFile, "targets", len(next.cfg.Targets))
	if old != nil {
		closeAll(old.probers)
	}
	return next.cfg, nil
}

func (s *Server) load() (*state, error) {
	cfg, err := config.Load(s.opts.ConfigFile, prober.Known)
	if err != nil {
		return nil, err
	}
	st := &state{cfg: cfg, probers: map[string]*prober.Prober{}, loadedAt: time.Now()}
	for _, name := range cfg.Names() {
		p, err := prober.New(cfg.Targets[name], prober.Options{
			UserAgent: s.opts.UserAgent, Limiter: s.limiter, Admit: s.admitRun, OnRun: s.recordRun,
		})
		if err != nil {
			closeAll(st.probers)
			return nil, fmt.Errorf("%s: %w", s.opts.ConfigFile, err)
		}
		st.probers[name] = p
	}
	return st, nil
}

func closeAll(probers map[string]*prober.Prober) {
	for _, p := range probers {
		p.Close()
	}
}

// Config returns the configuration in force.
func (s *Server) Config() *config.Config { return s.state.Load().cfg }

// Handler returns the exporter's HTTP routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/probe", s.handleProbe) // runs are admitted by ProbeShared, so joining scrapes cost no slot
	mux.Handle("/metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/config", s.handleConfig)
	mux.HandleFunc("/-/healthy", textHandler("Healthy"))
	mux.HandleFunc("/-/ready", textHandler("Ready"))
	mux.HandleFunc("/-/reload", s.handleReload)
	mux.HandleFunc("/status", s.handleStatus) // it probes too, admitted the same way
	mux.HandleFunc("/sd", s.handleSD)
	mux.HandleFunc("/{$}", s.limitProbes(s.handleStatusPage)) // rendering is bounded work, but work: counted too
	return mux
}

func textHandler(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, body)
	}
}

func (s *Server) handleConfig(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, s.Config().String())
}

func (s *Server) handleReload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		w.Header().Set("Allow", "POST, PUT")
		http.Error(w, "use POST to reload the configuration", http.StatusMethodNotAllowed)
		return
	}
	_, err := s.Reload()
	switch {
	case errors.Is(err, ErrUnchanged):
		fmt.Fprintln(w, "configuration unchanged")
	case err != nil:
		http.Error(w, "failed to reload config: "+err.Error(), http.StatusInternalServerError)
	default:
		fmt.Fprintln(w, "configuration reloaded")
	}
}
