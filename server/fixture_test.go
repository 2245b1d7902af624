package server_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/internal/testkit"
	"github.com/dhis2-chap/chap_exporter/server"
)

// The fixture's secrets: tests check that they never appear in output.
const (
	canaryPassword = "canary-pw-6b1f"
	canaryToken    = "d2pat_canary-token-93ad"
)

// fixture is an exporter under test, on httptest, with the simulator it
// probes, and the requests the tests send it.
type fixture struct {
	sim        *dhis2sim.Sim
	simURL     string
	exporter   *httptest.Server
	srv        *server.Server
	configFile string
	logs       *syncBuffer
}

// newFixture starts the exporter on testdata/fixture.yml: three targets on
// one simulator, with the three ways of giving credentials (a token file, a
// password from the environment, an inline one); options change its
// server.Options. Tests rely on the file's line numbers.
func newFixture(t *testing.T, options ...func(*server.Options)) *fixture {
	t.Helper()
	sim := dhis2sim.New(dhis2sim.Options{Password: canaryPassword, Token: canaryToken})
	dhis2 := httptest.NewServer(sim)
	t.Cleanup(dhis2.Close)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(canaryToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FIXTURE_PASSWORD", canaryPassword)
	f := &fixture{sim: sim, simURL: dhis2.URL, configFile: filepath.Join(dir, "chap.yml"), logs: &syncBuffer{}}
	f.writeConfig(t, testkit.ReadExpanded(t, "testdata/fixture.yml", map[string]string{"SIM_URL": dhis2.URL, "PASSWORD": canaryPassword}))
	logger := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts := server.Options{ConfigFile: f.configFile, Logger: logger, UserAgent: "chap_exporter/test", TimeoutOffset: 500 * time.Millisecond, EnableLifecycle: true}
	for _, o := range options {
		o(&opts)
	}
	srv, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	f.exporter = httptest.NewServer(srv.Handler())
	t.Cleanup(f.exporter.Close)
	return f
}

// fixtureFor serves an exporter for config (with %[1]s replaced by the
// simulator's URL and %[2]s by its token) and the given per-host limit.
func fixtureFor(t *testing.T, sim *dhis2sim.Sim, config string, maxPerHost int) *fixture {
	t.Helper()
	dhis2 := httptest.NewServer(sim)
	t.Cleanup(dhis2.Close)
	path := filepath.Join(t.TempDir(), "chap.yml")
	if err := os.WriteFile(path, fmt.Appendf(nil, config, dhis2.URL, dhis2sim.DefaultToken), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{ConfigFile: path, MaxRequestsPerHost: maxPerHost})
	if err != nil {
		t.Fatal(err)
	}
	exporter := httptest.NewServer(srv.Handler())
	t.Cleanup(exporter.Close)
	return &fixture{sim: sim, simURL: dhis2.URL, exporter: exporter, srv: srv, configFile: path}
}

// writeConfig replaces the exporter's configuration file (a reload applies it).
func (f *fixture) writeConfig(t *testing.T, content string) {
	t.Helper()
	if err := os.WriteFile(f.configFile, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// readConfig returns the exporter's configuration file.
func (f *fixture) readConfig(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(f.configFile)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// reload posts to /-/reload and fails the test unless it succeeds.
func (f *fixture) reload(t *testing.T) {
	t.Helper()
	if code, body := do(t, f.request(t, http.MethodPost, "/-/reload")); code != 200 {
		t.Fatalf("reload = %d %s", code, body)
	}
}

// addTarget appends a dhis2_ping-only target at url and reloads.
func (f *fixture) addTarget(t *testing.T, name, url string) {
	t.Helper()
	f.writeConfig(t, fmt.Sprintf("%s  %s:\n    url: %s\n    checks: [dhis2_ping]\n    timeout: 1m\n", f.readConfig(t), name, url))
	if _, err := f.srv.Reload(); err != nil {
		t.Fatal(err)
	}
}

// request is a request for path on the exporter with header's key, value pairs.
func (f *fixture) request(t *testing.T, method, path string, header ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, f.exporter.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

// get returns the status and body of a GET of path with header's key, value pairs.
func (f *fixture) get(t *testing.T, path string, header ...string) (int, string) {
	t.Helper()
	return do(t, f.request(t, http.MethodGet, path, header...))
}

// probeAsync starts a probe of target, with header's key, value pairs, and
// delivers its HTTP status (0 when the request failed).
func (f *fixture) probeAsync(t *testing.T, target string, header ...string) <-chan int {
	t.Helper()
	req := f.request(t, http.MethodGet, "/probe?target="+target, header...)
	ch := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			ch <- 0
			return
		}
		resp.Body.Close()
		ch <- resp.StatusCode
	}()
	return ch
}

// probeNow posts the Probe now form of target with the given headers.
func (f *fixture) probeNow(t *testing.T, target string, header ...string) (int, http.Header, string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(f.request(t, http.MethodPost, "/targets/"+target+"/probe", header...))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

// do sends req and returns its status and body.
func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// readAll reads and closes resp's body, for goroutines that must not call t.Fatal.
func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// syncBuffer is the exporter's log, written by its goroutines while a test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
