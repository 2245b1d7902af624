package prober_test

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/prober"
)

// hostileApps is the 2 MiB /api/apps answer [1,1,1,...] that once became a
// 54 MB message per app check.
var hostileApps = "[" + strings.Repeat("1,", 1<<20-2) + "1]" // 2 MiB less a byte

// manyApps is a list of valid app objects longer than MaxEntries.
var manyApps = "[" + strings.Repeat(`{"key":"x","version":"1"},`, prober.MaxEntries) + `{"key":"y"}]`

// manySubsystems is chap-core's 503 readiness body with far more
// subsystems than MaxSubsystems, each failing.
func manySubsystems(n int) string {
	var b strings.Builder
	b.WriteString(`{"status":"unhealthy","checks":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"s%06d":"down"`, i)
	}
	b.WriteString("}}")
	return b.String()
}

// escapes is text a server could use to act on a terminal or a page:
// a title change, a fake newline, a bidirectional override, invalid UTF-8.
const escapes = "\x1b]0;pwned\x07\x1b[2J\nFAKE LINE\r\u202eevil\xff"

// echoAuthorization answers every API request with the request's own
// Authorization header in a malformed status line and a Location, as a
// broken proxy might.
func echoAuthorization(t *testing.T) string {
	return rawListener(t, func(c net.Conn) {
		defer c.Close()
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err != nil {
			return
		}
		auth := req.Header.Get("Authorization")
		if auth == "" { // the front page: a redirect that carries the credential seen elsewhere
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
			return
		}
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nBad Header %s\r\nX: %s\r\n\r\n", auth, url.QueryEscape(auth))
	})
}

// redirectWithAuthorization redirects the front page to a URL carrying the
// credential in every escaped form, the way an echoing server would.
func redirectWithAuthorization(credential string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			http.Redirect(w, r, "/login/"+url.PathEscape(credential)+"?c="+url.QueryEscape(credential), http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// foreignSecret is a credential of some other system a server names in a
// URL or query: not the target's, so redaction cannot know it.
const foreignSecret = "other-system-s3cret"

// redirecting answers path with code (a 3xx) and location, where "HOST"
// stands for the server's own host:port, and serves a healthy simulator
// elsewhere.
func redirecting(path string, code int, location string) func(t *testing.T) string {
	return wrapSim(func(sim http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != path {
				sim.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Location", strings.ReplaceAll(location, "HOST", r.Host))
			w.WriteHeader(code)
		})
	})
}

// TestHostileAnswersAreBoundedPrintableAndRedacted: whatever a server sends,
// every result stays within the documented bounds, holds only printable
// text and never shows the credential in any form, on every field a
// consumer prints (message, version, revision, subsystems, request lines).
func TestHostileAnswersAreBoundedPrintableAndRedacted(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte(dhis2sim.DefaultUsername + ":" + dhis2sim.DefaultPassword))
	secrets := []string{dhis2sim.DefaultToken, dhis2sim.DefaultPassword, basic, url.QueryEscape(basic), foreignSecret}
	cases := []struct {
		name  string
		setup func(t *testing.T) string
		extra string // more target YAML
		// check and a substring its message must contain
		check, message string
	}{
		{name: "2 MiB apps list of numbers", setup: body(dhis2sim.Apps, hostileApps),
			check: "dhis2_chap_modeling_app", message: fmt.Sprintf("more than %d entries", prober.MaxEntries)},
		{name: "apps list longer than MaxEntries", setup: body(dhis2sim.Apps, manyApps),
			check: "dhis2_chap_climate_app", message: fmt.Sprintf("more than %d entries", prober.MaxEntries)},
		{name: "5000 failing subsystems", setup: fault(dhis2sim.ChapReady, dhis2sim.Fault{Status: 503, Body: manySubsystems(5000)}),
			extra: "checks: [dhis2_chap_ready]", check: "dhis2_chap_ready", message: "and 4990 more"},
		{name: "escapes and a huge version", setup: body(dhis2sim.ChapSystemInfo,
			`{"chap_core_version":"`+strings.Repeat("9", 5000)+jsonText(escapes)+`","revision":"`+jsonText(escapes)+`"}`),
			check: "dhis2_chap_system_info", message: "chap-core 9999"},
		{name: "escapes in an error message", setup: fault(dhis2sim.Me, dhis2sim.Fault{Status: 500, Body: `{"message":"` + jsonText(escapes) + `"}`}),
			check: "dhis2_ping", message: `\x1b]0;pwned\x07`},
		{name: "token echoed in a malformed answer", setup: func(t *testing.T) string { return tokenAuth(t, echoAuthorization(t)) },
			check: "dhis2_ping", message: "<secret>"},
		{name: "basic credential echoed in a malformed answer", setup: func(t *testing.T) string {
			t.Setenv("SIM_PASSWORD", dhis2sim.DefaultPassword)
			return fmt.Sprintf("url: %s\nauth: {username: %s, password_env: SIM_PASSWORD}", echoAuthorization(t), dhis2sim.DefaultUsername)
		}, check: "dhis2_ping", message: "<secret>"},
		{name: "credential in a redirect of the front page", setup: func(t *testing.T) string {
			t.Setenv("SIM_PASSWORD", dhis2sim.DefaultPassword)
			return fmt.Sprintf("url: %s\nauth: {username: %s, password_env: SIM_PASSWORD}", serve(t, redirectWithAuthorization("Basic "+basic)).URL, dhis2sim.DefaultUsername)
		}, check: "http_2xx", message: "front page answered 200"},
		{name: "URL with another credential in an error message",
			setup: fault(dhis2sim.Me, dhis2sim.Fault{Status: 500, Body: `{"message":"upstream http://svc:` + foreignSecret + `@10.0.0.9/ failed"}`}),
			check: "dhis2_ping", message: "upstream http://10.0.0.9/ failed"},
		{name: "front page redirect with userinfo and a ticket",
			setup: redirecting("/", http.StatusFound, "http://svc:"+foreignSecret+"@HOST/dhis-web-login/?ticket="+foreignSecret),
			check: "http_2xx", message: "front page answered 200"},
		{name: "unparsable front page redirect with userinfo and a ticket",
			setup: redirecting("/", http.StatusFound, "http://svc:"+foreignSecret+"@127.0.0.1:bad/login?ticket="+foreignSecret),
			check: "http_2xx", message: "redirected to a Location that is not a URL"},
		{name: "unparsable Location of an API call's 300 (which net/http does not follow)",
			setup: redirecting("/api/me", http.StatusMultipleChoices, "http://svc:"+foreignSecret+"@127.0.0.1:bad/login?ticket="+foreignSecret),
			check: "dhis2_ping", message: "/api/me redirected to a Location that is not a URL (a login page)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			target := loadTarget(t, tc.setup(t)+"\n"+tc.extra)
			report, elapsed, alloc := measuredProbe(t, target, budget)
			if elapsed > budget+margin {
				t.Errorf("probe took %s, budget %s plus margin %s", elapsed, budget, margin)
			}
			if alloc > allocBound {
				t.Errorf("probe allocated %d MiB, want under %d MiB", alloc>>20, allocBound>>20)
			}
			if m := message(report, tc.check); !strings.Contains(m, tc.message) {
				t.Errorf("%s message %q lacks %q", tc.check, m, tc.message)
			}
			for _, c := range report.Checks {
				fields := map[string]string{"message": c.Message, "version": c.Version, "revision": c.Revision}
				for i, req := range c.Requests {
					fields[fmt.Sprintf("request %d path", i)] = req.Path
					fields[fmt.Sprintf("request %d error", i)] = req.Error
				}
				if len(c.Subsystems) > prober.MaxSubsystems {
					t.Errorf("%s: %d subsystems, want at most %d", c.Check, len(c.Subsystems), prober.MaxSubsystems)
				}
				for name, state := range c.Subsystems {
					fields["subsystem "+name] = name
					fields["state of "+name] = state
				}
				for field, text := range fields {
					limit := prober.MaxMessageBytes
					if field == "version" || field == "revision" || strings.HasPrefix(field, "subsystem") || strings.HasPrefix(field, "state") {
						limit = prober.MaxLabelBytes
					}
					assertBoundedText(t, c.Check+" "+field, text, limit, secrets)
				}
			}
		})
	}
}

func assertBoundedText(t *testing.T, what, text string, limit int, secrets []string) {
	t.Helper()
	if len(text) > limit {
		t.Errorf("%s is %d bytes, want at most %d", what, len(text), limit)
	}
	if !utf8.ValidString(text) {
		t.Errorf("%s is not valid UTF-8: %q", what, text)
	}
	for _, r := range text {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			t.Errorf("%s holds unprintable %U: %q", what, r, text)
			break
		}
	}
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s shows the credential %q: %q", what, s, text)
		}
	}
}

// jsonText escapes s for a JSON string literal, leaving invalid UTF-8 as it is.
func jsonText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// TestHugeResponseHeadersAreRefused: a server answering with endless
// headers fails the check instead of being read without limit.
func TestHugeResponseHeadersAreRefused(t *testing.T) {
	url := rawListener(t, func(c net.Conn) {
		defer c.Close()
		if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
			return
		}
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
		line := "X-Filler: " + strings.Repeat("a", 1000) + "\r\n"
		for range 1000 { // 1 MB of headers
			if _, err := c.Write([]byte(line)); err != nil {
				return
			}
		}
		fmt.Fprintf(c, "\r\n{\"username\":\"admin\"}")
	})
	report := probe(t, loadTarget(t, tokenAuth(t, url)+"\nchecks: [dhis2_ping]"), budget)
	r := result(t, report, "dhis2_ping")
	if r.Status != prober.StatusFail || !strings.Contains(r.Message, "header") {
		t.Errorf("dhis2_ping = %s %q, want a failure about the headers", r.Status, r.Message)
	}
}

// TestFrontPageRedirectsStayOnHTTPAndOffLinkLocal: http_2xx follows
// redirects only to http and https, never to a link-local address (where
// cloud metadata answers), whether named by a redirect or dialed directly.
func TestFrontPageRedirectsStayOnHTTPAndOffLinkLocal(t *testing.T) {
	redirectTo := func(location string) func(t *testing.T) string {
		return func(t *testing.T) string {
			return tokenAuth(t, serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Location", location)
				w.WriteHeader(http.StatusFound)
			})).URL)
		}
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T) string
		message string
	}{
		{"metadata address", redirectTo("http://169.254.169.254/latest/meta-data/"), "169.254.169.254, a link-local (cloud metadata) address"},
		{"IPv6 link-local", redirectTo("http://[fe80::1]/"), "fe80::1, a link-local"},
		{"file scheme", redirectTo("file:///etc/passwd"), `redirected to a "file" URL; only http and https are followed`},
		{"gopher scheme", redirectTo("gopher://127.0.0.1:70/"), `redirected to a "gopher" URL`},
		{"link-local target dialed", func(t *testing.T) string { return tokenAuth(t, "http://169.254.0.1:9") },
			"refused to connect to 169.254.0.1, a link-local"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			report := probe(t, loadTarget(t, tt.setup(t)+"\nchecks: [http_2xx]"), hangBudget)
			r := result(t, report, "http_2xx")
			if r.Status != prober.StatusFail || !strings.Contains(r.Message, tt.message) {
				t.Errorf("http_2xx = %s %q, want a failure with %q", r.Status, r.Message, tt.message)
			}
		})
	}
}
