// Command chap_exporter probes DHIS2 servers and the chap-core behind their
// route, blackbox_exporter style, on /probe?target=NAME.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	webflag "github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/dhis2-chap/chap_exporter/config"
	"github.com/dhis2-chap/chap_exporter/prober"
	"github.com/dhis2-chap/chap_exporter/server"
)

const name = "chap_exporter"

func main() { os.Exit(run()) }

func run() int {
	var (
		configFile    = kingpin.Flag("config.file", "Configuration file.").Default("chap.yml").String()
		configCheck   = kingpin.Flag("config.check", "Validate the configuration file, print the result and exit (0 valid, 1 invalid).").Bool()
		timeoutOffset = kingpin.Flag("timeout-offset", "Seconds subtracted from Prometheus's scrape timeout to leave time to answer.").Default("0.5").Float64()
		maxPerHost    = kingpin.Flag("dhis2.max-concurrent-requests-per-host", "Most requests in flight at once to one DHIS2 server (host:port), across all targets; 0 for no limit.").Default(strconv.Itoa(prober.DefaultMaxRequestsPerHost)).Int()
		toolkitFlags  = webflag.AddFlags(kingpin.CommandLine, ":9977")
	)
	logConfig := &promslog.Config{}
	promslogflag.AddFlags(kingpin.CommandLine, logConfig)
	kingpin.Version(version.Print(name))
	kingpin.HelpFlag.Short('h')
	kingpin.Parse()
	logger := promslog.New(logConfig)

	if *configCheck {
		cfg, err := config.Load(*configFile, prober.Known)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		for _, w := range cfg.Warnings {
			fmt.Fprintln(os.Stderr, "warning:", w)
		}
		fmt.Printf("%s: valid, %d targets\n", *configFile, len(cfg.Targets))
		return 0
	}

	logger.Info("Starting "+name, "version", version.Info(), "build_context", version.BuildContext())
	srv, err := server.New(server.Options{
		ConfigFile:    *configFile,
		TimeoutOffset: time.Duration(*timeoutOffset * float64(time.Second)),
		UserAgent:     name + "/" + version.Version,
		Logger:        logger,

		MaxRequestsPerHost: *maxPerHost,
	})
	if err != nil {
		logger.Error("Cannot start", "err", err)
		return 1
	}

	httpServer := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- web.ListenAndServe(httpServer, toolkitFlags, logger) }()

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM, os.Interrupt)
	for {
		select {
		case <-hup:
			_, _ = srv.Reload() // Reload logs its own outcome.
		case err := <-serveErr:
			if !errors.Is(err, http.ErrServerClosed) {
				logger.Error("HTTP server failed", "err", err)
				return 1
			}
			return 0
		case sig := <-term:
			logger.Info("Shutting down; waiting for probes in flight", "signal", sig.String())
			ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace(srv.Config()))
			defer cancel()
			if err := httpServer.Shutdown(ctx); err != nil {
				logger.Warn("Probes still running at shutdown deadline", "err", err)
			}
			return 0
		}
	}
}

// shutdownGrace lets the longest probe budget finish, plus a second.
func shutdownGrace(cfg *config.Config) time.Duration {
	grace := config.DefaultTimeout
	for _, t := range cfg.Targets {
		grace = max(grace, time.Duration(t.Timeout))
	}
	return grace + time.Second
}
