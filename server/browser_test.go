package server_test

import (
	"bytes"
	"context"
	"flag"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/dhis2sim"
)

var (
	docsScreenshot = flag.Bool("screenshot.docs", false, "also copy the desktop screenshot of the status page to docs/status-page.png")
	screenshotDir  = flag.String("screenshot.dir", "", "keep the status page screenshots in this directory (default: a temporary one)")
)

// consoleLine is how Chromium logs a page's console messages and uncaught
// errors to stderr with --enable-logging=stderr.
var consoleLine = regexp.MustCompile(`:CONSOLE[:(]\d+\)?\] .*`)

// chromium runs headless Chromium on url with extra arguments and returns
// its stdout and the console lines from its log.
func chromium(t *testing.T, url string, args ...string) (stdout string, console []string) {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed; run scripts/ensure-tools.sh (as root it installs Debian's chromium package)")
	}
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

func TestStatusPageInChromium(t *testing.T) {
	f := newFixture(t)
	f.get(t, "/probe?target=basic")
	f.get(t, "/probe?target=demo")
	f.sim.Update(func(st *dhis2sim.State) { st.ChapCoreDown = true })
	f.get(t, "/probe?target=demo")

	_, source := f.get(t, "/")
	for _, external := range []string{"<script", "<link", "src=", "url(", "@import"} {
		if strings.Contains(source, external) {
			t.Errorf("page uses %q: it must work offline without assets", external)
		}
	}

	dom, console := chromium(t, f.exporter.URL+"/", "--dump-dom")
	if len(console) > 0 {
		t.Errorf("console messages: %q", console)
	}
	for _, want := range []string{
		`<td class="cell fail" title="fail (upstream_down)`,
		`<td class="cell skipped" title="skipped (requirement)`,
		`<td class="cell ok" title="ok: DHIS2 2.42.1">ok<small>2.42.1</small></td>`,
		`<td class="none">not probed yet</td>`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered DOM lacks %s", want)
		}
	}

	dir := *screenshotDir
	if dir == "" {
		dir = t.TempDir()
	}
	for _, shot := range []struct{ name, size string }{{"desktop", "1280,900"}, {"phone", "412,915"}} {
		path := filepath.Join(dir, "status-"+shot.name+".png")
		chromium(t, f.exporter.URL+"/", "--hide-scrollbars", "--window-size="+shot.size, "--screenshot="+path)
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
		if *docsScreenshot && shot.name == "desktop" {
			if err := os.WriteFile(filepath.Join("..", "docs", "status-page.png"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
