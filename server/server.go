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
	"github.com/dhis2-chap/chap_exporter/history"
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
	// ExternalURL is where people reach the exporter, for absolute links
	// (alerts read it from chap_exporter_web_external_url_info).
	ExternalURL string
	// EnableLifecycle allows reloading through POST /-/reload, as
	// Prometheus's --web.enable-lifecycle; SIGHUP works either way.
	EnableLifecycle bool
}

// Server serves the exporter's endpoints.
type Server struct {
	opts        Options
	logger      *slog.Logger
	registry    *prometheus.Registry
	metrics     *collector.Exporter
	admission   admission           // bounds probes and page renders in flight (--web.max-requests)
	hostLimiter *prober.HostLimiter // one for the process, so reloads keep the limit

	reloadMu sync.Mutex // one reload at a time
	state    atomic.Pointer[state]
	history  history.Store // probes that ran, for the status page
	started  time.Time

	idleTimeout time.Duration // of HTTPServer's connections; a field so tests can shorten it
}

// state is one loaded configuration with its probers; probes take a pointer
// to it, so a reload never shows a probe half a config.
type state struct {
	cfg      *config.Config
	probers  prober.Set
	loadedAt time.Time
}

// New loads the configuration and returns a ready server.
func New(opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, logger: opts.Logger, registry: prometheus.NewRegistry(),
		admission: newAdmission(opts.MaxRequests), hostLimiter: prober.NewHostLimiter(opts.MaxRequestsPerHost),
		idleTimeout: IdleTimeout, started: time.Now()}
	s.metrics = collector.NewExporter(s.registry, opts.ExternalURL)
	s.registry.MustRegister(collector.NewHistoryBytes(s.history.Bytes))
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

	cfg, err := config.Load(s.opts.ConfigFile, prober.KindsOf)
	if err == nil && old != nil && old.cfg.Checksum == cfg.Checksum {
		// Nothing changed: keep the probers (and their connections) and
		// spend nothing on building new ones.
		s.metrics.ConfigLoaded(true, old.loadedAt, len(old.cfg.Targets))
		return old.cfg, ErrUnchanged
	}
	var next *state
	if err == nil {
		next, err = s.build(cfg)
	}
	if err != nil {
		s.metrics.ConfigLoaded(false, time.Time{}, 0)
		if old != nil { // at start-up there is none to keep, and New's caller reports the error
			s.logger.Error("Loading configuration failed; keeping the previous one", "file", s.opts.ConfigFile, "err", err)
		}
		return nil, err
	}
	for _, w := range next.cfg.Warnings {
		s.logger.Warn("Discouraged configuration", "file", s.opts.ConfigFile, "warning", w)
	}
	s.state.Store(next)
	s.history.Retain(func(name string) bool { _, ok := next.probers[name]; return ok })
	s.metrics.ConfigLoaded(true, next.loadedAt, len(next.cfg.Targets))
	s.logger.Info("Loaded configuration", "file", s.opts.ConfigFile, "targets", len(next.cfg.Targets))
	if old != nil {
		old.probers.Close()
	}
	return next.cfg, nil
}

// build makes the probers for a loaded configuration.
func (s *Server) build(cfg *config.Config) (*state, error) {
	loadedAt := time.Now()
	probers, err := prober.NewSet(cfg, s.hostLimiter, prober.Options{
		UserAgent: s.opts.UserAgent, Admit: s.admitRun, OnRun: s.recordRun,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.opts.ConfigFile, err)
	}
	return &state{cfg: cfg, probers: probers, loadedAt: loadedAt}, nil
}

// Config returns the configuration in force.
func (s *Server) Config() *config.Config { return s.state.Load().cfg }

// Handler returns the exporter's HTTP routes. Read endpoints answer GET
// and HEAD only (405 with Allow otherwise), reload POST only.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/probe", s.handleProbe) // runs are admitted by ProbeShared, so joining scrapes cost no slot
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /config", s.handleConfig)
	mux.HandleFunc("GET /-/healthy", textHandler("Healthy"))
	mux.HandleFunc("GET /-/ready", textHandler("Ready"))
	mux.Handle("/-/reload", sameOrigin("cross-site reload refused", s.handleReload))
	mux.HandleFunc("/status", s.handleStatus) // it probes too, admitted the same way
	mux.HandleFunc("GET /sd", s.handleSD)
	mux.HandleFunc("GET /{$}", s.admitOrRefuse(s.handleStatusPage)) // rendering is bounded work, but work: counted too
	mux.HandleFunc("GET /targets/{name}", s.admitOrRefuse(s.handleTargetPage))
	mux.Handle("POST /targets/{name}/probe", sameOrigin("cross-site request refused: use the Probe now button on this exporter's own page",
		s.handleProbeNow)) // admitted like /status
	mux.HandleFunc("GET /badge/{file}", s.handleBadge)
	return mux
}

// sameOrigin refuses cross-site browser requests that change something
// (by Sec-Fetch-Site, or Origin against Host) with 403 and refusal, so
// another site cannot make a visitor's browser start probes or reloads;
// curl and scripts, which send neither header, pass.
func sameOrigin(refusal string, next http.HandlerFunc) http.Handler {
	protection := http.NewCrossOriginProtection()
	protection.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, refusal, http.StatusForbidden)
	}))
	return protection.Handler(next)
}

// Limits of the exporter's own HTTP server. WriteTimeout must outlast the
// longest probe (config.MaxTimeout) plus the time to send its answer.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = config.MaxTimeout + 30*time.Second
	// IdleTimeout closes keep-alive connections no request has used for
	// that long; Prometheus reconnects at its next scrape.
	IdleTimeout    = 2 * time.Minute
	MaxHeaderBytes = 1 << 20
)

// HTTPServer returns the http.Server to serve Handler with, its timeouts
// and header limit set so idle or slow clients cannot hold connections.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       s.idleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
	}
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

// handleReload reloads on POST when --web.enable-lifecycle is set;
// sameOrigin has refused cross-site requests (a page in an operator's
// browser posting to the exporter) before it runs.
func (s *Server) handleReload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST to reload the configuration", http.StatusMethodNotAllowed)
		return
	}
	if !s.opts.EnableLifecycle {
		http.Error(w, "Lifecycle API is not enabled (--web.enable-lifecycle); send SIGHUP to reload", http.StatusForbidden)
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
