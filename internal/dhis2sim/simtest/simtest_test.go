package simtest_test

import (
	"net/http"
	"testing"

	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim/simtest"
)

// TestServe: the simulator answers over plain HTTP and over TLS, and counts
// each connection it accepts.
func TestServe(t *testing.T) {
	for _, tls := range []bool{false, true} {
		sim := dhis2sim.New(dhis2sim.Options{})
		srv := simtest.Serve(t, sim, tls)
		resp, err := srv.Client().Get(srv.URL + "/api/system/info")
		if err != nil {
			t.Fatalf("tls=%v: %v", tls, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("tls=%v: /api/system/info without credentials answered %d, want 401", tls, resp.StatusCode)
		}
		if got := sim.Connections(); got != 1 {
			t.Errorf("tls=%v: the simulator counted %d connections, want 1", tls, got)
		}
	}
}

// TestServeScenario: the service answers in the scenario asked for.
func TestServeScenario(t *testing.T) {
	tests := []struct {
		service  dhis2sim.Service
		scenario string
		path     string
		status   int
	}{
		{dhis2sim.ServiceOCS, "healthy", "/health", http.StatusOK},
		{dhis2sim.ServiceOCS, "health-missing", "/health", http.StatusNotFound},
		{dhis2sim.ServiceChapkit, "healthy", "/health", http.StatusOK},
	}
	for _, tt := range tests {
		url := simtest.ServeScenario(t, tt.service, tt.scenario)
		resp, err := http.Get(url + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s in %s: %s answered %d, want %d", tt.service, tt.scenario, tt.path, resp.StatusCode, tt.status)
		}
	}
}
