package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/dhis2-chap/chap_exporter/config"
	"github.com/dhis2-chap/chap_exporter/prober"
	"github.com/dhis2-chap/chap_exporter/report"
)

// Exit codes of `chap_exporter check`.
const (
	exitOK    = 0 // every check ok
	exitNotOK = 1 // anything not ok, warnings included
	exitUsage = 2 // usage or configuration error
)

// exitCodesHelp documents the exit codes for --help and the README.
const exitCodesHelp = "Exit codes: 0 every check ok, 1 anything not ok (warn included), 2 usage or configuration error."

// checkOptions are the settings of one `chap_exporter check` run.
type checkOptions struct {
	ConfigFile string
	Targets    []string // from the configuration; all when empty
	// Ad hoc target instead of a configuration file.
	URL, TokenEnv, Username, PasswordEnv string
	Kind                                 string        // ad hoc only; "" means dhis2
	Timeout                              time.Duration // ad hoc only; 0 means the default
	// Checks replaces each target's selection (what they require is added).
	Checks    []string
	JSON      bool // --output=json
	Quiet     bool // print nothing when every check is ok
	Colour    bool
	UserAgent string
	Stdout    io.Writer
	Stderr    io.Writer
}

// usageError is a mistake in the command line or the configuration.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// runCheck probes the selected targets once, concurrently, with the same
// configuration, checks and chain runner as /probe, prints the results and
// returns the exit code.
func runCheck(ctx context.Context, opts checkOptions) int {
	reports, err := probeOnce(ctx, opts)
	if err != nil {
		fmt.Fprintln(opts.Stderr, "chap_exporter check:", err)
		var ue usageError
		if errors.As(err, &ue) {
			return exitUsage
		}
		return exitNotOK
	}
	ok := report.AllOK(reports)
	if !(ok && opts.Quiet) {
		write := func() error { return report.WriteTable(opts.Stdout, reports, opts.Colour) }
		if opts.JSON {
			write = func() error { return report.WriteJSON(opts.Stdout, reports) }
		}
		if err := write(); err != nil {
			fmt.Fprintln(opts.Stderr, "chap_exporter check: writing results:", err)
			return exitNotOK
		}
	}
	if !ok {
		return exitNotOK
	}
	return exitOK
}

// probeOnce probes the selected targets once, concurrently, and returns
// their reports in the order the targets were named.
func probeOnce(ctx context.Context, opts checkOptions) ([]*prober.Report, error) {
	cfg, err := loadForCheck(&opts)
	if err != nil {
		return nil, usageError{err}
	}
	names, err := cfg.Select(opts.Targets, opts.Checks, prober.KindsOf)
	if err != nil {
		return nil, usageError{err}
	}
	hosts := prober.NewHostLimiter(prober.DefaultMaxRequestsPerHost) // one for the run, as in the server
	probers, err := prober.NewSet(cfg, hosts, prober.Options{UserAgent: opts.UserAgent})
	if err != nil {
		return nil, usageError{err}
	}
	defer probers.Close()
	reports := make([]*prober.Report, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		p := probers[name]
		wg.Go(func() { reports[i] = p.Probe(ctx, time.Duration(p.Target().Timeout)) })
	}
	wg.Wait()
	return reports, nil
}

// loadForCheck reads the configuration file, or builds a one-target
// configuration from --url and the flags that go with it.
func loadForCheck(opts *checkOptions) (*config.Config, error) {
	opts.Checks = splitList(opts.Checks)
	for _, c := range opts.Checks {
		if prober.KindsOf(c) == nil {
			return nil, fmt.Errorf("--checks: unknown check %q; known checks are %s", c, strings.Join(prober.All(), ", "))
		}
	}
	if opts.URL == "" {
		if opts.TokenEnv != "" || opts.Username != "" || opts.PasswordEnv != "" || opts.Timeout != 0 || opts.Kind != "" {
			return nil, errors.New("--token-env, --username, --password-env, --timeout and --kind go with --url")
		}
		return config.Load(opts.ConfigFile, prober.KindsOf)
	}
	if len(opts.Targets) > 0 {
		return nil, errors.New("give either --url or target names from the configuration file, not both")
	}
	return config.AdHoc(config.AdHocTarget{
		URL: opts.URL, Kind: config.Kind(opts.Kind), Checks: opts.Checks, Timeout: opts.Timeout,
		Username: opts.Username, PasswordEnv: opts.PasswordEnv, TokenEnv: opts.TokenEnv,
	}, prober.KindsOf)
}

// checkNames lists the checks --checks accepts, by kind, for help texts.
func checkNames() string {
	var parts []string
	for _, k := range config.Kinds {
		parts = append(parts, string(k)+": "+strings.Join(prober.ForKind(k), ", "))
	}
	return strings.Join(parts, "; ")
}

// splitList accepts --checks=a,b as well as --checks=a --checks=b.
func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// isTerminal reports whether f is a terminal (a character device), where
// colour helps; NO_COLOR turns colour off anyway.
func isTerminal(f *os.File) bool {
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
