package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/config"
	"github.com/dhis2-chap/chap_exporter/prober"
)

func TestProbeTimeout(t *testing.T) {
	const offset = 500 * time.Millisecond
	tests := []struct {
		name   string
		target time.Duration
		header string
		want   time.Duration
		// ignored: the header is not a finite positive number
		ignored bool
	}{
		{"no header: target timeout", 10 * time.Second, "", 10 * time.Second, false},
		{"scrape timeout shorter: header minus offset", 10 * time.Second, "5", 4500 * time.Millisecond, false},
		{"fractional header", 10 * time.Second, "2.5", 2 * time.Second, false},
		{"scrape timeout longer: target timeout", 3 * time.Second, "10", 3 * time.Second, false},
		{"header equal to target plus offset", 3 * time.Second, "3.5", 3 * time.Second, false},
		{"header not above offset: header as is", 10 * time.Second, "0.4", 400 * time.Millisecond, false},
		{"garbage header ignored", 10 * time.Second, "soon", 10 * time.Second, true},
		{"negative header ignored", 10 * time.Second, "-3", 10 * time.Second, true},
		{"zero header ignored", 10 * time.Second, "0", 10 * time.Second, true},
		{"NaN ignored", 10 * time.Second, "NaN", 10 * time.Second, true},
		{"infinity ignored", 10 * time.Second, "Inf", 10 * time.Second, true},
		{"negative infinity ignored", 10 * time.Second, "-Inf", 10 * time.Second, true},
		{"huge header: target timeout, no overflow", 10 * time.Second, "1e300", 10 * time.Second, false},
		{"tiny header is a tiny budget", 10 * time.Second, "1e-9", time.Nanosecond, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := probeTimeout(tt.target, tt.header, offset)
			if got != tt.want || ok == tt.ignored {
				t.Errorf("probeTimeout(%s, %q) = %s, %t; want %s, %t", tt.target, tt.header, got, ok, tt.want, !tt.ignored)
			}
		})
	}
}

// TestReloadForgetsHistoryOfRemovedTargets keeps the status page's memory
// bounded by the targets configured now, not every target ever configured.
func TestReloadForgetsHistoryOfRemovedTargets(t *testing.T) {
	file := filepath.Join(t.TempDir(), "chap.yml")
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("targets:\n  kept: {url: http://127.0.0.1:1}\n  removed: {url: http://127.0.0.1:1}\n")
	s, err := New(Options{ConfigFile: file})
	if err != nil {
		t.Fatal(err)
	}
	s.history.Record(&prober.Report{Target: "kept"})
	s.history.Record(&prober.Report{Target: "removed"})
	write("targets:\n  kept: {url: http://127.0.0.1:1}\n")
	if _, err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.history.Summary("removed", time.Now()); ok {
		t.Error("history of a removed target survived the reload")
	}
	s.recordRun(&prober.Report{Target: "removed"}) // a run in flight during the reload ends
	if _, ok := s.history.Summary("removed", time.Now()); ok {
		t.Error("a run that ended after the reload brought back the removed target's history")
	}
	if _, ok := s.history.Summary("kept", time.Now()); !ok {
		t.Error("history of a kept target was lost")
	}
}

// TestIdleConnectionsAreClosed: a keep-alive connection no request uses is
// closed after the idle timeout, so idle clients cannot pile up
// connections (and file descriptors).
func TestIdleConnectionsAreClosed(t *testing.T) {
	file := filepath.Join(t.TempDir(), "chap.yml")
	if err := os.WriteFile(file, []byte("targets:\n  t: {url: http://127.0.0.1:1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{ConfigFile: file})
	if err != nil {
		t.Fatal(err)
	}
	s.idleTimeout = 200 * time.Millisecond
	srv := s.HTTPServer()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	// Now idle: the server must close it, well before this read gives up.
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := r.ReadByte(); err != io.EOF {
		t.Errorf("idle connection: read got %v, want EOF (closed by the server)", err)
	}
	if srv.MaxHeaderBytes != 1<<20 || srv.ReadHeaderTimeout == 0 || srv.WriteTimeout < config.MaxTimeout {
		t.Errorf("server limits: max header %d, read header timeout %s, write timeout %s", srv.MaxHeaderBytes, srv.ReadHeaderTimeout, srv.WriteTimeout)
	}
}
