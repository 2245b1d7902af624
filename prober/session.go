package prober

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/dhis2-chap/chap_exporter/config"
)

// MaxBodyBytes caps how much of a response body a check reads, so a huge or
// endless answer cannot exhaust the exporter's memory.
const MaxBodyBytes = 2 << 20

// Response is a successful (2xx) answer to an API request.
type Response struct {
	StatusCode  int
	ContentType string
	Body        []byte
}

// probeState is shared by the checks of one probe.
type probeState struct {
	prober *Prober
	budget time.Duration

	mu         sync.Mutex
	calls      map[string]*call // API GETs by path, so identical requests are sent once per probe
	certExpiry time.Time
}

type call struct {
	done chan struct{}
	resp *Response
	err  error
	req  Request
}

// Session is what a check uses to reach its target during one probe: the
// target's config and authenticated HTTP helpers. Responses to identical API
// requests are shared between the checks of a probe.
type Session struct {
	// Target is the configured target being probed.
	Target   *config.Target
	probe    *probeState
	requests []Request
}

// GetAPI sends an authenticated GET for a DHIS2 API path (with query) and
// returns the answer when it is a 2xx JSON response. Redirects and HTML pages
// are login pages and fail with reason auth; other statuses map to reasons.
func (s *Session) GetAPI(ctx context.Context, path string) (*Response, error) {
	resp, err := s.shared(ctx, path)
	if err != nil {
		return nil, err
	}
	return resp, requireJSON(resp, path, s.Target.Kind)
}

// GetAPIs is GetAPI for several paths at once, sent concurrently; the
// answers and errors come back in the order of paths.
func (s *Session) GetAPIs(ctx context.Context, paths ...string) ([]*Response, []error) {
	resps, errs := make([]*Response, len(paths)), make([]error, len(paths))
	subs := make([]*Session, len(paths))
	var wg sync.WaitGroup
	for i, path := range paths {
		subs[i] = &Session{Target: s.Target, probe: s.probe}
		wg.Go(func() { resps[i], errs[i] = subs[i].GetAPI(ctx, path) })
	}
	wg.Wait()
	for _, sub := range subs {
		s.requests = append(s.requests, sub.requests...)
	}
	return resps, errs
}

// GetRoute sends an authenticated GET through the target's chap route to
// subpath (e.g. "/health") and returns any 2xx answer. Statuses are read as
// DHIS2's route proxy produces them.
func (s *Session) GetRoute(ctx context.Context, subpath string) (*Response, error) {
	return s.shared(ctx, RoutePath(s.Target.RouteCode, subpath))
}

// RoutePath is the DHIS2 path that runs subpath on the route with code.
func RoutePath(code, subpath string) string {
	return "/api/routes/" + url.PathEscape(code) + "/run" + subpath
}

// GetPage sends an unauthenticated GET for path, following up to 5
// redirects (to any host: no credentials are ever sent), and returns the
// final status code whatever it is.
func (s *Session) GetPage(ctx context.Context, path string) (int, error) {
	start := time.Now()
	req, err := s.probe.prober.newRequest(ctx, path, false)
	if err != nil {
		return 0, err
	}
	resp, err := s.probe.prober.pageClient.Do(req)
	rec := Request{Path: path, Duration: time.Since(start)}
	fail := func(err error) (int, error) {
		f := s.probe.classify(err)
		rec.Error = f.Msg
		s.requests = append(s.requests, rec)
		return 0, f
	}
	if err != nil {
		return fail(err)
	}
	defer resp.Body.Close()
	// A page whose body stalls or is cut off did not load: headers alone are not an answer.
	_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxBodyBytes))
	rec.StatusCode, rec.Duration = resp.StatusCode, time.Since(start)
	if err != nil {
		return fail(err)
	}
	if final := resp.Request.URL; final.Path != path || final.Host != req.URL.Host {
		rec.Path += " → " + final.Redacted() // redirected; the URL has no credentials to hide, Redacted is belt and braces
	}
	s.requests = append(s.requests, rec)
	return resp.StatusCode, nil
}

// shared sends the API GET for path once per probe; a second check asking
// for the same path waits for and reuses the first answer.
func (s *Session) shared(ctx context.Context, path string) (*Response, error) {
	p := s.probe
	p.mu.Lock()
	c, found := p.calls[path]
	if !found {
		c = &call{done: make(chan struct{})}
		p.calls[path] = c
	}
	p.mu.Unlock()
	if found {
		select {
		case <-c.done:
		case <-ctx.Done():
			f := p.classify(ctx.Err())
			s.requests = append(s.requests, Request{Path: path, Error: f.Msg})
			return nil, f
		}
		rec := c.req
		rec.Shared = true
		s.requests = append(s.requests, rec)
		return c.resp, c.err
	}
	c.resp, c.req, c.err = p.fetch(ctx, path)
	close(c.done)
	s.requests = append(s.requests, c.req)
	return c.resp, c.err
}

// fetch performs one authenticated API GET.
func (p *probeState) fetch(ctx context.Context, path string) (*Response, Request, error) {
	start := time.Now()
	rec := Request{Path: path}
	req, err := p.prober.newRequest(ctx, path, true)
	if err != nil {
		return nil, rec, err
	}
	resp, err := p.prober.apiClient.Do(req)
	if err != nil {
		f := p.classify(err)
		rec.Duration, rec.Error = time.Since(start), f.Msg
		return nil, rec, f
	}
	defer resp.Body.Close()
	p.noteCertificates(resp)
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes+1))
	rec.StatusCode, rec.Duration = resp.StatusCode, time.Since(start)
	if readErr != nil {
		f := p.classify(readErr)
		rec.Error = f.Msg
		return nil, rec, f
	}
	if len(body) > MaxBodyBytes {
		return nil, rec, failuref(ReasonBadResponse, nil, "answer to %s is larger than %d bytes", path, MaxBodyBytes)
	}
	if err := statusFailure(p.prober.target.Kind, path, resp, body); err != nil {
		return nil, rec, withResponse(err, resp, body)
	}
	return &Response{StatusCode: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Body: body}, rec, nil
}

// classify is classify with the probe's budget in timeout messages.
func (p *probeState) classify(err error) *Failure {
	f := classify(err)
	if f.Reason == ReasonTimeout {
		f = failuref(ReasonTimeout, f.Err, "no answer within the probe's %s budget", p.budget)
	}
	return f
}

func (p *probeState) noteCertificates(resp *http.Response) {
	if resp.TLS == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, cert := range resp.TLS.PeerCertificates {
		if p.certExpiry.IsZero() || cert.NotAfter.Before(p.certExpiry) {
			p.certExpiry = cert.NotAfter
		}
	}
}

// webMessage is DHIS2's error body; its message makes failures readable.
type webMessage struct {
	Message string `json:"message"`
	Detail  any    `json:"detail"` // chap-core (FastAPI) errors
}

func bodyMessage(body []byte) string {
	var wm webMessage
	if json.Unmarshal(body, &wm) != nil {
		return ""
	}
	msg := wm.Message
	if msg == "" {
		if d, ok := wm.Detail.(string); ok {
			msg = d
		}
	}
	if msg != "" {
		msg = truncate(msg, 200)
		return ": " + msg
	}
	return ""
}

// statusFailure reads a non-2xx status as DHIS2 means it: a redirect on an
// API call is a login page, and the route proxy has codes of its own. The
// other kinds take no credentials, so a login there is something in front
// of the service.
func statusFailure(kind config.Kind, path string, resp *http.Response, body []byte) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	route := kind == config.KindDHIS2 && strings.Contains(path, "/run/") && strings.HasPrefix(path, "/api/routes/")
	msg := bodyMessage(body)
	switch {
	case kind != config.KindDHIS2 && (code == http.StatusUnauthorized || code >= 300 && code < 400):
		return failuref(ReasonAuth, nil, "%s answered %d: something in front of the service asks for a login, and a %s target sends no credentials%s", path, code, kind, msg)
	case code >= 300 && code < 400:
		loc := resp.Header.Get("Location")
		if u, err := url.Parse(loc); err == nil {
			loc = u.Path // the path says "login page"; the rest is noise
		}
		return failuref(ReasonAuth, nil, "%s redirected to %s (a login page): credentials not accepted", path, loc)
	case route && code == http.StatusUnauthorized:
		return failuref(ReasonAuth, nil, "chap-core answered 401 through the route: it requires a token for this path%s", msg)
	case code == http.StatusUnauthorized:
		return failuref(ReasonAuth, nil, "DHIS2 answered 401: the token or password was not accepted%s", msg)
	case code == http.StatusForbidden:
		return failuref(ReasonForbidden, nil, "%s answered 403: %s%s", path, forbiddenHint(path, route), msg)
	case route && code == http.StatusBadGateway:
		return failuref(ReasonUpstreamDown, nil, "DHIS2 route returned 502: chap-core did not respond%s", msg)
	case route && code == http.StatusServiceUnavailable:
		return failuref(ReasonRouteNotAllowed, nil, "DHIS2 route returned 503: the route URL is not allowed by route.remote_servers_allowed%s", msg)
	case route && code == http.StatusGatewayTimeout:
		return failuref(ReasonUpstreamTimeout, nil, "DHIS2 route returned 504: chap-core did not answer in time%s", msg)
	case code == http.StatusNotFound:
		return failuref(ReasonNotFound, nil, "%s answered 404%s", path, msg)
	}
	return failuref(ReasonHTTPStatus, nil, "%s answered %d%s", path, code, msg)
}

// forbiddenHint says what the monitoring user lacks for a 403 on path,
// naming the authority where DHIS2 documents one, so the fix is one step.
func forbiddenHint(path string, route bool) string {
	switch {
	case route:
		return "the user may not run the route; share it with the user (metadata: can view) or give the user one of the route's authorities"
	case strings.HasPrefix(path, "/api/routes"):
		return "the user may not read routes; share the route with the user (metadata: can view)"
	case strings.HasPrefix(path, "/api/apps"):
		return "the user lacks the authority M_dhis-web-app-management (App Management) or ALL"
	}
	return "the user lacks the authority or sharing"
}

// requireJSON rejects HTML (a login page behind SSO) and other non-JSON answers.
func requireJSON(resp *Response, path string, kind config.Kind) error {
	mediaType, _, _ := mime.ParseMediaType(resp.ContentType)
	switch {
	case mediaType == "application/json" || strings.HasSuffix(mediaType, "+json"):
		return nil
	case mediaType == "text/html" && kind != config.KindDHIS2:
		return failuref(ReasonBadResponse, nil, "%s answered an HTML page instead of JSON (a login or proxy page in front of the service?)", path)
	case mediaType == "text/html":
		return failuref(ReasonAuth, nil, "%s answered an HTML page instead of JSON (a login page?): credentials not accepted", path)
	}
	return failuref(ReasonBadResponse, nil, "%s answered content type %q, want application/json", path, resp.ContentType)
}

// decodeObject decodes a JSON object into v, with messages that say what
// shape was found instead.
func decodeObject(body []byte, v any) error {
	switch kind := jsonKind(body); kind {
	case "object":
	case "":
		return failuref(ReasonBadResponse, nil, "answer is not valid JSON")
	default:
		return failuref(ReasonBadResponse, nil, "expected a JSON object, got %s", kind)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return failuref(ReasonBadResponse, err, "unexpected JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// jsonKind names the top-level JSON value in body, "" when it is not valid JSON.
func jsonKind(body []byte) string {
	if !json.Valid(body) {
		return ""
	}
	switch bytes.TrimLeft(body, " \t\r\n")[0] {
	case '{':
		return "object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}

// newRequest builds a GET to the target; only API requests carry credentials.
func (p *Prober) newRequest(ctx context.Context, path string, authenticated bool) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.baseURL+path, nil)
	if err != nil {
		return nil, failuref(ReasonBadResponse, err, "cannot build request for %s", path)
	}
	req.Header.Set("User-Agent", p.userAgent)
	if authenticated {
		req.Header.Set("Accept", "application/json")
		if p.authorization != "" {
			req.Header.Set("Authorization", string(p.authorization))
		}
	}
	return req, nil
}
