package prober

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	commoncfg "github.com/prometheus/common/config"

	"github.com/dhis2-chap/chap_exporter/config"
)

// MaxResponseHeaderBytes bounds the response headers read from a server;
// DHIS2's are a few KiB.
const MaxResponseHeaderBytes = 64 << 10

// Options tune a Prober.
type Options struct {
	// UserAgent is sent on every request, e.g. "chap_exporter/1.0.0".
	UserAgent string
	// Admit, when set, is asked before ProbeShared starts a chain run; it
	// returns false to refuse (ProbeShared then returns ErrBusy), or a
	// release func the run calls when it ends. Callers that join a run in
	// flight or are served from the cache are not admitted again.
	Admit func() (release func(), ok bool)
	// OnRun, when set, receives the report of every chain run ProbeShared
	// completes, exactly once per run however many callers shared it, so
	// logs, histories and duration histograms count runs, not callers.
	// Runs stopped because every caller left are not reported.
	OnRun func(*Report)
}

// Prober probes one configured target. It keeps its HTTP transport across
// probes so connections are reused; build a new one when the config changes.
type Prober struct {
	target        *config.Target
	opts          Options
	checks        []*registration
	requires      [][]int // indexes into checks of each check's direct requirements
	baseURL       string
	authorization commoncfg.Secret
	secrets       []string // what redact hides: the credential and its Basic encoding
	transport     *http.Transport
	apiClient     *http.Client
	pageClient    *http.Client
	share         sharing // concurrent callers of ProbeShared and the min_interval cache
}

// New builds the prober for a validated target. hosts bounds concurrent
// requests per host; share one among all probers of a process (and across
// reloads), since only a shared limiter bounds what a host sees.
func New(t *config.Target, hosts *HostLimiter, opts Options) (*Prober, error) {
	if hosts == nil {
		return nil, fmt.Errorf("target %q: no host limiter", t.Name)
	}
	checks, requires, err := buildPlan(t)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", t.Name, err)
	}
	transport, err := buildTransport(t)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", t.Name, err)
	}
	base, err := url.Parse(t.URL)
	if err != nil {
		return nil, fmt.Errorf("target %q: url: %w", t.Name, err) // config validated it; belt and braces
	}
	apiClient, pageClient := buildClients(newLimitedTransport(transport, hosts, base))
	auth := authorization(&t.Auth)
	return &Prober{
		target:        t,
		opts:          opts,
		checks:        checks,
		requires:      requires,
		baseURL:       strings.TrimRight(t.URL, "/"),
		authorization: auth,
		secrets:       secretsOf(&t.Auth, auth),
		transport:     transport,
		apiClient:     apiClient,
		pageClient:    pageClient,
	}, nil
}

// buildPlan returns the checks a probe of t runs, in run order, and for
// each the indexes of its direct requirements.
func buildPlan(t *config.Target) ([]*registration, [][]int, error) {
	selected := t.Checks
	if len(selected) == 0 {
		selected = Defaults(t.Kind)
	}
	checks, err := planTarget(t, selected)
	if err != nil {
		return nil, nil, err
	}
	index := map[string]int{}
	for i, c := range checks {
		index[c.name] = i
	}
	requires := make([][]int, len(checks))
	for i, c := range checks {
		for _, r := range c.requires {
			requires[i] = append(requires[i], index[r])
		}
	}
	return checks, requires, nil
}

// buildTransport returns the target's connection pool, honouring its proxy
// and TLS settings and refusing link-local addresses.
func buildTransport(t *config.Target) (*http.Transport, error) {
	tlsConfig, err := commoncfg.NewTLSConfig(t.TLS())
	if err != nil {
		return nil, fmt.Errorf("tls_config: %w", err)
	}
	return &http.Transport{
		Proxy:                  t.ProxyConfig.Proxy(),
		ProxyConnectHeader:     t.ProxyConfig.GetProxyConnectHeader(),
		DialContext:            (&net.Dialer{KeepAlive: 30 * time.Second, Control: refuseLinkLocal}).DialContext,
		TLSClientConfig:        tlsConfig,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           16,
		MaxIdleConnsPerHost:    8,
		IdleConnTimeout:        90 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: MaxResponseHeaderBytes,
	}, nil
}

// buildClients returns the client for API calls, which never follows
// redirects (DHIS2 redirects to its login page), and the client for pages,
// which follows them as checkPageRedirect allows; both share limited.
func buildClients(limited http.RoundTripper) (api, page *http.Client) {
	api = &http.Client{
		Transport:     limited,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	page = &http.Client{Transport: limited, CheckRedirect: checkPageRedirect}
	return api, page
}

// authorization is the Authorization header DHIS2 expects for a.
func authorization(a *config.Auth) commoncfg.Secret {
	switch a.Mode() {
	case config.AuthToken:
		return "ApiToken " + a.Credential()
	case config.AuthBasic:
		return commoncfg.Secret("Basic " + base64.StdEncoding.EncodeToString([]byte(a.Username+":"+string(a.Credential()))))
	}
	return ""
}

// Target returns the target this prober checks.
func (p *Prober) Target() *config.Target { return p.target }

// Checks returns the names of the checks a probe runs, in run order.
func (p *Prober) Checks() []string {
	names := make([]string, len(p.checks))
	for i, c := range p.checks {
		names[i] = c.name
	}
	return names
}

// Close releases idle connections; in-flight probes still finish.
func (p *Prober) Close() { p.transport.CloseIdleConnections() }

// Probe runs the chain once within timeout (or ctx's earlier deadline).
func (p *Prober) Probe(ctx context.Context, timeout time.Duration) *Report {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	state := &probeState{prober: p, budget: timeout, sent: map[apiRequest]*sharedRequest{}}
	results := make([]Result, len(p.checks))
	done := make([]chan struct{}, len(p.checks))
	for i := range done {
		done[i] = make(chan struct{})
	}
	var wg sync.WaitGroup
	for i, c := range p.checks {
		wg.Go(func() {
			defer close(done[i])
			for _, r := range p.requires[i] {
				<-done[r] // a requirement always finishes: it runs under the same deadline
				if !results[r].Status.Passed() {
					results[i] = Result{
						Check:   c.name,
						Status:  StatusSkipped,
						Reason:  ReasonRequirementUnmet,
						Message: fmt.Sprintf("requires %s, which is %s", results[r].Check, results[r].Status),
					}
					return
				}
			}
			results[i] = p.runCheck(ctx, c, state)
		})
	}
	wg.Wait()

	report := &Report{
		Target:   p.target.Name,
		Label:    p.target.Label(),
		Kind:     p.target.Kind,
		Start:    start,
		Duration: time.Since(start),
		Timeout:  timeout,
		Checks:   results,
	}
	state.mu.Lock()
	report.CertExpiry = state.certExpiry
	state.mu.Unlock()
	return report
}

// runCheck runs one check, turning a panic into an error result so one
// buggy check cannot take the exporter down.
func (p *Prober) runCheck(ctx context.Context, c *registration, state *probeState) (r Result) {
	s := &Session{Target: p.target, probe: state}
	start := time.Now()
	defer func() {
		if v := recover(); v != nil {
			r = Result{Status: StatusError, Reason: ReasonPanic, Message: fmt.Sprintf("internal error in check: %v", v)}
		}
		r.Check = c.name
		r.Duration = time.Since(start)
		r.Requests = s.requests
		r = p.bound(r)
	}()
	return c.check.Run(ctx, s)
}

// redact removes credentials from text that may echo them (a panic value,
// an error from a misbehaving server, a Location header).
func (p *Prober) redact(text string) string {
	for _, secret := range p.secrets {
		text = strings.ReplaceAll(text, secret, "<secret>")
	}
	return text
}

// secretsOf lists every form in which a server could echo the credential:
// as it is, Basic-encoded, "user:password", and each of those escaped for a
// URL query or path or with JSON's escaped slash. Longest first, so a form
// that contains another is replaced whole.
func secretsOf(a *config.Auth, header commoncfg.Secret) []string {
	if a.Mode() == config.AuthNone {
		return nil
	}
	_, encoded, _ := strings.Cut(string(header), " ")
	forms := []string{string(a.Credential()), encoded}
	if a.Mode() == config.AuthBasic {
		forms = append(forms, a.Username+":"+string(a.Credential()))
	}
	var secrets []string
	for _, f := range forms {
		secrets = append(secrets, f, url.QueryEscape(f), url.PathEscape(f), strings.ReplaceAll(f, "/", `\/`))
	}
	slices.SortFunc(secrets, func(x, y string) int { return cmp.Or(cmp.Compare(len(y), len(x)), strings.Compare(x, y)) })
	return slices.Compact(secrets)
}
