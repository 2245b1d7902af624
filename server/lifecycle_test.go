package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/dhis2-chap/chap_exporter/config"
	"github.com/dhis2-chap/chap_exporter/prober"
	"github.com/dhis2-chap/chap_exporter/server"
)

// TestReadEndpointsTakeOnlyGETAndHEAD: every read endpoint answers 405
// with Allow to other methods instead of serving them.
func TestReadEndpointsTakeOnlyGETAndHEAD(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/", "/metrics", "/config", "/-/healthy", "/-/ready", "/sd", "/probe?target=demo", "/status?target=demo"} {
		for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
			req, _ := http.NewRequest(method, f.exporter.URL+path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(resp.Header.Get("Allow"), "GET") {
				t.Errorf("%s %s = %d Allow %q, want 405 with GET allowed", method, path, resp.StatusCode, resp.Header.Get("Allow"))
			}
		}
		req, _ := http.NewRequest(http.MethodHead, f.exporter.URL+path, nil)
		if code, _ := do(t, req); code != http.StatusOK {
			t.Errorf("HEAD %s = %d, want 200", path, code)
		}
	}
}

// TestReloadEndpointIsGuarded follows Prometheus: the HTTP reload exists
// only with --web.enable-lifecycle, takes POST only, and refuses requests
// a browser sends from another site.
func TestReloadEndpointIsGuarded(t *testing.T) {
	tests := []struct {
		name      string
		lifecycle bool
		method    string
		header    []string
		code      int
	}{
		{"POST without --web.enable-lifecycle", false, http.MethodPost, nil, http.StatusForbidden},
		{"POST", true, http.MethodPost, nil, http.StatusOK},
		{"PUT", true, http.MethodPut, nil, http.StatusMethodNotAllowed},
		{"GET", true, http.MethodGet, nil, http.StatusMethodNotAllowed},
		{"cross-site fetch", true, http.MethodPost, []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"same-site but other origin fetch", true, http.MethodPost, []string{"Sec-Fetch-Site", "same-site"}, http.StatusForbidden},
		{"form from another origin", true, http.MethodPost, []string{"Origin", "http://evil.example"}, http.StatusForbidden},
		{"same-origin fetch", true, http.MethodPost, []string{"Sec-Fetch-Site", "same-origin"}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(o *server.Options) { o.EnableLifecycle = tt.lifecycle })
			req, _ := http.NewRequest(tt.method, f.exporter.URL+"/-/reload", nil)
			for i := 0; i+1 < len(tt.header); i += 2 {
				req.Header.Set(tt.header[i], tt.header[i+1])
			}
			if code, body := do(t, req); code != tt.code {
				t.Errorf("%s /-/reload = %d %q, want %d", tt.method, code, body, tt.code)
			}
		})
	}
}

// TestUnchangedReloadBuildsNothing: reloading a file that did not change
// costs no more than reading and validating it; before, every target's
// prober (transport, TLS config) was rebuilt and thrown away.
func TestUnchangedReloadBuildsNothing(t *testing.T) {
	f := newFixture(t)
	var b strings.Builder
	b.WriteString("targets:\n")
	for i := range 300 {
		fmt.Fprintf(&b, "  t%d: {url: %s}\n", i, f.simURL)
	}
	f.writeConfig(t, b.String())
	f.reload(t)
	loadAllocs := testing.AllocsPerRun(3, func() {
		if _, err := config.Load(f.configFile, prober.KindsOf); err != nil {
			t.Fatal(err)
		}
	})
	reloadAllocs := testing.AllocsPerRun(3, func() {
		if _, err := f.srv.Reload(); err != server.ErrUnchanged {
			t.Fatalf("Reload = %v, want ErrUnchanged", err)
		}
	})
	if reloadAllocs > loadAllocs*1.1 {
		t.Errorf("an unchanged reload made %.0f allocations, loading the file alone %.0f", reloadAllocs, loadAllocs)
	}
}

// TestUnusableTimeoutHeaderIsIgnoredAndCounted: a scrape timeout header
// that is not a finite positive number cannot shorten the probe to nothing.
func TestUnusableTimeoutHeaderIsIgnoredAndCounted(t *testing.T) {
	f := newFixture(t)
	for _, header := range []string{"NaN", "Inf", "-1", "soon"} {
		code, body := f.get(t, "/probe?target=demo", "X-Prometheus-Scrape-Timeout-Seconds", header)
		if code != 200 || !strings.Contains(body, "\nprobe_success 1\n") {
			t.Errorf("scrape with timeout header %q = %d:\n%s", header, code, body)
		}
	}
	if _, m := f.get(t, "/metrics"); !strings.Contains(m, "chap_exporter_scrape_timeout_header_ignored_total 4\n") {
		t.Error("the ignored headers were not counted")
	}
	if !strings.Contains(f.logs.String(), "Ignoring a scrape timeout header") {
		t.Error("the ignored header was not logged at debug")
	}
}
