package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/dhis2-chap/chap_exporter/config"
	"github.com/dhis2-chap/chap_exporter/prober"
)

// Exit codes of `chap_exporter check`.
const (
	ExitOK    = 0 // every check ok
	ExitNotOK = 1 // anything not ok, warnings included
	ExitUsage = 2 // usage or configuration error
)

// ExitCodesHelp documents the exit codes for --help and the README.
const ExitCodesHelp = "Exit codes: 0 every check ok, 1 anything not ok (warn included), 2 usage or configuration error."

// CheckOptions are the settings of one `chap_exporter check` run.
type CheckOptions struct {
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

// RunCheck probes the selected targets once, concurrently, with the same
// configuration, checks and chain runner as /probe, prints the results and
// returns the exit code.
func RunCheck(ctx context.Context, opts CheckOptions) int {
	reports, err := probeOnce(ctx, opts)
	if err != nil {
		fmt.Fprintln(opts.Stderr, "chap_exporter check:", err)
		var ue usageError
		if errors.As(err, &ue) {
			return ExitUsage
		}
		return ExitNotOK
	}
	ok := allOK(reports)
	if !(ok && opts.Quiet) {
		write := func() error { return writeTable(opts.Stdout, reports, opts.Colour) }
		if opts.JSON {
			write = func() error { return writeJSON(opts.Stdout, reports) }
		}
		if err := write(); err != nil {
			fmt.Fprintln(opts.Stderr, "chap_exporter check: writing results:", err)
			return ExitNotOK
		}
	}
	if !ok {
		return ExitNotOK
	}
	return ExitOK
}

func probeOnce(ctx context.Context, opts CheckOptions) ([]*prober.Report, error) {
	cfg, err := loadForCheck(&opts)
	if err != nil {
		return nil, usageError{err}
	}
	names := opts.Targets
	if len(names) == 0 {
		names = cfg.Names()
	}
	probers := make([]*prober.Prober, len(names))
	hosts := prober.NewHostLimiter(prober.DefaultMaxRequestsPerHost) // one for the run, as in the server
	for i, name := range names {
		t, ok := cfg.Targets[name]
		if !ok {
			return nil, usageError{fmt.Errorf("unknown target %q: configured targets are %s", name, strings.Join(cfg.Names(), ", "))}
		}
		if len(opts.Checks) > 0 {
			for _, c := range opts.Checks {
				if !slices.Contains(prober.KindsOf(c), t.Kind) {
					return nil, usageError{fmt.Errorf("--checks: check %s does not apply to kind %s (target %q); checks of that kind are %s",
						c, t.Kind, name, strings.Join(prober.ForKind(t.Kind), ", "))}
				}
			}
			t.Checks = opts.Checks
		}
		p, err := prober.New(t, hosts, prober.Options{UserAgent: opts.UserAgent})
		if err != nil {
			return nil, usageError{err}
		}
		defer p.Close()
		probers[i] = p
	}
	reports := make([]*prober.Report, len(probers))
	var wg sync.WaitGroup
	for i, p := range probers {
		wg.Go(func() { reports[i] = p.Probe(ctx, time.Duration(p.Target().Timeout)) })
	}
	wg.Wait()
	return reports, nil
}

// loadForCheck reads the configuration file, or builds a one-target
// configuration from --url and passes it through the same validation.
func loadForCheck(opts *CheckOptions) (*config.Config, error) {
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
	name := adHocName(opts.URL)
	target := map[string]any{"url": opts.URL}
	auth := map[string]string{}
	for key, value := range map[string]string{"token_env": opts.TokenEnv, "username": opts.Username, "password_env": opts.PasswordEnv} {
		if value != "" {
			auth[key] = value
		}
	}
	if len(auth) > 0 {
		target["auth"] = auth
	}
	if opts.Timeout != 0 {
		target["timeout"] = opts.Timeout.String()
	}
	if opts.Kind != "" {
		target["kind"] = opts.Kind
	}
	if len(opts.Checks) > 0 {
		target["checks"] = opts.Checks // validated against the kind like a configured target's
	}
	content, err := yaml.Marshal(map[string]any{"targets": map[string]any{name: target}})
	if err != nil {
		return nil, fmt.Errorf("building the ad hoc target: %w", err)
	}
	cfg, err := config.Parse(content, "command line", prober.KindsOf)
	var cfgErr *config.Error
	if errors.As(err, &cfgErr) {
		cfgErr.Line = 0 // a line of the generated YAML would mislead
		return nil, adHocError(cfgErr)
	}
	return cfg, err
}

var adHocKeys = strings.NewReplacer("auth.token_env", "--token-env", "auth.password_env", "--password-env",
	"auth.username", "--username", "auth", "--username/--token-env", "url", "--url", "timeout", "--timeout",
	"kind", "--kind", "checks", "--checks")

// adHocError names the flags rather than the generated YAML's keys.
func adHocError(e *config.Error) error {
	msg := e.Msg
	if e.Key != "" {
		msg = adHocKeys.Replace(e.Key) + ": " + msg
	}
	return errors.New(msg)
}

var hostNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// adHocName names the ad hoc target after its host, as tables show it.
func adHocName(raw string) string {
	u, err := url.Parse(raw)
	if err == nil && hostNameRE.MatchString(u.Hostname()) {
		return u.Hostname()
	}
	return "adhoc"
}

// CheckNames lists the checks --checks accepts, by kind, for help texts.
func CheckNames() string {
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
