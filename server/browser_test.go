package server_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim/simtest"
	"github.com/dhis2-chap/chap_exporter/internal/testkit"
)

var (
	docsScreenshot = flag.Bool("screenshot.docs", false, "also copy the status page screenshots to docs/ (make screenshots)")
	screenshotDir  = flag.String("screenshot.dir", "", "keep the status page screenshots in this directory (default: a temporary one)")
)

// consoleLine is how Chromium logs a page's console messages and uncaught
// errors to stderr with --enable-logging=stderr.
var consoleLine = regexp.MustCompile(`:CONSOLE[:(]\d+\)?\] .*`)

// chromium runs headless Chromium on url with extra arguments and returns
// its stdout and the console lines from its log.
func chromium(t *testing.T, url string, args ...string) (stdout string, console []string) {
	t.Helper()
	bin := testkit.RequireTool(t, "chromium")
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0"}
	cmd := exec.CommandContext(ctx, bin, append(append(base, args...), url)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, errOut.String())
	}
	return out.String(), consoleLine.FindAllString(errOut.String(), -1)
}

// TestConsoleDetectorWorks proves the check below can fail: a page with a
// console error and an uncaught exception is caught.
func TestConsoleDetectorWorks(t *testing.T) {
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<!DOCTYPE html><p>x</p><script>console.error("boom"); nope()</script>`))
	}))
	defer broken.Close()
	_, console := chromium(t, broken.URL, "--dump-dom")
	if len(console) != 2 {
		t.Errorf("console lines = %q, want the error and the exception", console)
	}
}

// boardFixture is the fixture with display names, kinds and groups, and a
// history: demo was up, broke (chap-core down), recovered and broke again;
// basic and an Open Climate Service are up; a chapkit service is degraded;
// inline was never probed.
func boardFixture(t *testing.T, refresh string) *fixture {
	t.Helper()
	f := newFixture(t)
	f.writeConfig(t, testkit.ReadExpanded(t, "testdata/board.yml", map[string]string{
		"SIM_URL":     f.simURL,
		"PASSWORD":    canaryPassword,
		"REFRESH":     refresh,
		"OCS_URL":     simtest.ServeScenario(t, dhis2sim.ServiceOCS, "healthy"),
		"CHAPKIT_URL": simtest.ServeScenario(t, dhis2sim.ServiceChapkit, "degraded"),
	}))
	f.reload(t)
	f.get(t, "/probe?target=nepal-ocs")
	f.get(t, "/probe?target=ewars-model")
	f.get(t, "/probe?target=basic")
	f.get(t, "/probe?target=demo")
	f.sim.Update(func(st *dhis2sim.State) { st.ChapCoreDown = true })
	f.get(t, "/probe?target=demo")
	f.sim.Update(func(st *dhis2sim.State) { st.ChapCoreDown = false })
	f.get(t, "/probe?target=demo")
	f.sim.Update(func(st *dhis2sim.State) { st.ChapCoreDown = true })
	f.get(t, "/probe?target=demo")
	return f
}

func TestStatusPagesInChromium(t *testing.T) {
	f := boardFixture(t, "30s")
	requestsBefore := len(f.sim.Requests())

	pages := []string{"/", "/targets/demo", "/targets/basic", "/targets/inline", "/targets/nepal-ocs", "/targets/ewars-model", "/badge/demo.svg"}
	for _, page := range pages {
		_, source := f.get(t, page)
		for _, external := range []string{"<link", "src=\"http", "src=\"//", "url(http", "url(//", "@import"} {
			if strings.Contains(source, external) {
				t.Errorf("%s uses %q: it must work offline without assets", page, external)
			}
		}
	}
	// Every page in every theme, in frames of one page: one Chromium run
	// sees the console messages of all of them. Then the browser's own
	// dark mode, for the default (auto) theme.
	var frames strings.Builder
	for _, theme := range []string{"light", "dark", "dhis2", "auto"} {
		for _, page := range pages {
			fmt.Fprintf(&frames, "<iframe src=\"%s%s?theme=%s\"></iframe>\n", f.exporter.URL, page, theme)
		}
	}
	framed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, "<!DOCTYPE html><title>all pages</title>\n%s", frames.String())
	}))
	defer framed.Close()
	if _, console := chromium(t, framed.URL, "--dump-dom"); len(console) > 0 {
		t.Errorf("console messages: %q", console)
	}
	doms := map[string]string{}
	for _, page := range []string{"/", "/targets/demo", "/badge/demo.svg"} {
		dom, console := chromium(t, f.exporter.URL+page, "--dump-dom", "--force-dark-mode")
		if len(console) > 0 {
			t.Errorf("%s in a dark browser: console messages %q", page, console)
		}
		doms[page] = dom
	}
	if n := len(f.sim.Requests()); n != requestsBefore {
		t.Errorf("viewing the pages sent %d requests to DHIS2; they must never probe", n-requestsBefore)
	}

	board := doms["/"]
	for _, want := range []string{
		// The failing check, its reason and message as visible text, not a tooltip.
		`<span class="fail"><span aria-hidden="true">✗</span> <b>chap-core</b> failed</span> <span class="reason">(upstream_down)</span>: DHIS2 route returned 502: chap-core did not respond`,
		`<span class="kind">DHIS2</span>`,
		`<span class="kind">Open Climate Service</span>`,
		`<b>chapkit health</b> warning</span> <span class="reason">(not_ready)</span>: service reports status degraded`,
		`<title>1 down · Ministry of Health · CHAP</title>`,
		`No probe has run since the exporter started.`,
		`Grafana has the long history`,
	} {
		if !strings.Contains(board, want) {
			t.Errorf("board lacks %s", want)
		}
	}
	// Failures first, then targets nobody probed, then healthy ones; the
	// chain in the prober's order (each check after what it requires), with
	// readable labels.
	assertOrder(t, "board", board, `<h2>env: production`, `Sierra Leone HMIS`, `>inline<`, `Nepal climate service`,
		`<h2>env: training`, `EWARS model`, `Training server`)
	assertOrder(t, "chain on the board", board, `Sierra Leone HMIS`, `DHIS2 login<span class="sr"> ok`, `chap route<span class="sr"> ok`,
		`chap-core<span class="sr"> failed`, `chap-core version<span class="sr"> skipped`, `>inline<`)

	target := doms["/targets/demo"]
	for _, want := range []string{
		`<td class="fail"><span aria-hidden="true">✗</span> failed <span class="reason">(upstream_down)</span>`,
		`<b class="fail">still failing</b>`,
		`of 4 probes up (50.0%), worst fail</title>`,
		`Probe of target "demo"`,
		`href="../status?target=demo"`,
		`href="../probe?target=demo&amp;debug=true"`,
	} {
		if !strings.Contains(target, want) {
			t.Errorf("target page lacks %s", want)
		}
	}
	if got := strings.Count(target, `<th scope="row">chap-core</th>`); got != 2 {
		t.Errorf("target page lists %d chap-core incidents, want 2 (one recovered, one ongoing)", got)
	}
	if !regexp.MustCompile(`<th scope="row">chap-core</th><td class="fail">fail <span class="reason">\(upstream_down\)</span></td><td>[0-9:]+</td><td>[0-9:]+</td>`).MatchString(target) {
		t.Error("target page lacks the recovered incident with its broke and recovered times")
	}
	assertOrder(t, "checks on the target page", target, "DHIS2 login", "chap route", "chap-core", "chap-core version")
	if !strings.Contains(doms["/badge/demo.svg"], "chap: down") {
		t.Errorf("badge = %s, want chap: down", doms["/badge/demo.svg"])
	}

	takeScreenshots(t, f)
}

// assertOrder checks that each of want occurs in page after the one before.
func assertOrder(t *testing.T, what, page string, want ...string) {
	t.Helper()
	at := 0
	for _, w := range want {
		i := strings.Index(page[at:], w)
		if i < 0 {
			t.Errorf("%s: %q missing or out of order (want %q)", what, w, want)
			return
		}
		at += i + len(w)
	}
}

func takeScreenshots(t *testing.T, f *fixture) {
	dir := *screenshotDir
	if dir == "" {
		dir = t.TempDir()
	}
	for _, shot := range []struct{ name, path, size string }{
		{"status-board", "/", "1280,900"},
		{"status-board-phone", "/", "412,915"},
		{"status-board-dark", "/?theme=dark", "1280,900"},
		{"status-target", "/targets/demo", "1280,1400"},
	} {
		path := filepath.Join(dir, shot.name+".png")
		chromium(t, f.exporter.URL+shot.path, "--hide-scrollbars", "--window-size="+shot.size, "--screenshot="+path)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("no screenshot: %v", err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("screenshot is not a PNG: %v", err)
		}
		if got := img.Bounds().Dx(); !strings.HasPrefix(shot.size, strconv.Itoa(got)+",") {
			t.Errorf("%s screenshot is %d px wide, want %s", shot.name, got, shot.size)
		}
		t.Logf("screenshot: %s", path)
		if *docsScreenshot {
			if err := os.MkdirAll(filepath.Join("..", "docs"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("..", "docs", shot.name+".png"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// boardLoads records how each request for the board (/) came: its
// X-Requested-With, empty for a navigation, "refresh" for the board's own
// fetch. Its firstRefresh selects the second request, for a gate in front of
// the exporter to hold, so that a test can act between the first load and
// the first refresh.
type boardLoads struct {
	mu      sync.Mutex
	headers []string
}

func (l *boardLoads) firstRefresh(r *http.Request) bool {
	if r.URL.Path != "/" {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.headers = append(l.headers, r.Header.Get("X-Requested-With"))
	return len(l.headers) == 2
}

func (l *boardLoads) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.headers)
}

// TestBoardRefreshesInPlace: an open board picks up a new failure by
// itself, by fetching the page and swapping its content (so the scroll
// position stays), not by reloading it.
func TestBoardRefreshesInPlace(t *testing.T) {
	f := boardFixture(t, "5s")
	loads := &boardLoads{}
	gate := testkit.NewGateFor(t, f.srv.Handler(), loads.firstRefresh)
	go func() {
		select {
		case <-gate.Arrived: // the first refresh, held until the state has changed
		case <-t.Context().Done():
			return
		}
		f.sim.Update(func(st *dhis2sim.State) { st.ChapCoreDown, st.ClimateAppMissing = false, true })
		f.get(t, "/probe?target=demo")
		gate.Open()
	}()
	dom, console := chromium(t, gate.URL+"/", "--dump-dom", "--virtual-time-budget=7000")
	if len(console) > 0 {
		t.Errorf("console messages: %q", console)
	}
	if !strings.Contains(dom, `<b>Climate app</b> failed</span> <span class="reason">(missing)</span>`) {
		t.Errorf("the refreshed board does not show the new failure:\n%s", dom)
	}
	if strings.Contains(dom, `<b>chap-core</b> failed`) {
		t.Error("the refreshed board still shows the old failure")
	}
	if got := loads.all(); len(got) < 2 || got[0] != "" || slices.ContainsFunc(got[1:], func(h string) bool { return h != "refresh" }) {
		t.Errorf("requests for / (X-Requested-With) = %q, want a navigation, then only refresh fetches", got)
	}
}

// TestBoardRefreshesWithoutScripts: with scripts off (in the profile's
// settings), the meta refresh reloads the page. Chromium keeps reloading
// for as long as it runs, so it is stopped once the reload is seen.
func TestBoardRefreshesWithoutScripts(t *testing.T) {
	bin := testkit.RequireTool(t, "chromium")
	f := boardFixture(t, "5s")
	loads := &boardLoads{}
	gate := testkit.NewGateFor(t, f.srv.Handler(), loads.firstRefresh)
	gate.Open() // holds nothing; Arrived says when the page reloaded

	profile := t.TempDir()
	if err := os.MkdirAll(filepath.Join(profile, "Default"), 0o755); err != nil {
		t.Fatal(err)
	}
	noScripts := `{"profile":{"default_content_setting_values":{"javascript":2}}}`
	if err := os.WriteFile(filepath.Join(profile, "Default", "Preferences"), []byte(noScripts), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir="+profile,
		"--dump-dom", "--virtual-time-budget=60000", gate.URL+"/")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gate.Arrived:
	case <-time.After(60 * time.Second):
		t.Error("the page did not reload itself within a minute")
	}
	cancel()
	_ = cmd.Wait()
	for i, how := range loads.all() {
		if how != "" {
			t.Errorf("load %d of / came from a script (%q) with scripts off", i+1, how)
		}
	}
}
