package simfarm

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
)

// TestChildServesSimulatorsAndCountsPerSimulator runs the child's loop in
// process: it must report one URL per simulator, a CA that verifies them,
// and count each simulator's requests and connections separately.
func TestChildServesSimulatorsAndCountsPerSimulator(t *testing.T) {
	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- runChild(2, 0, stdinR, stdoutW) }()
	var info Info
	if err := json.NewDecoder(stdoutR).Decode(&info); err != nil {
		t.Fatal(err)
	}
	if len(info.URLs) != 2 {
		t.Fatalf("got %d URLs, want 2", len(info.URLs))
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(info.CAPEM)) {
		t.Fatal("CA PEM does not parse")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	from := time.Now()
	for range 3 {
		req, _ := http.NewRequest(http.MethodGet, info.URLs[1]+"/api/me", nil)
		req.Header.Set("Authorization", "ApiToken "+dhis2sim.DefaultToken)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	c := &Child{Info: info}
	st, err := c.Stats(context.Background(), from, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Requests[0] != 0 || st.Requests[1] != 3 || st.Connections[0] != 0 || st.Connections[1] != 1 {
		t.Errorf("stats = %+v, want requests [0 3] and connections [0 1]", st)
	}
	stdinW.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
