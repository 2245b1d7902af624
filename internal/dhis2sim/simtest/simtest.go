// Package simtest serves the simulator of package dhis2sim to tests, the
// way net/http/httptest serves handlers: on a loopback listener that closes
// when the test ends.
package simtest

import (
	"net/http/httptest"
	"testing"

	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
)

// Serve serves sim on 127.0.0.1, over TLS with httptest's certificate when
// tls is set, with the simulator counting the connections it accepts
// (Sim.Connections), until the test ends.
func Serve(t testing.TB, sim *dhis2sim.Sim, tls bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(sim)
	srv.Config.ConnState = sim.ConnState
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv
}

// ServeScenario serves a simulated service in the named scenario over plain
// HTTP and returns its URL; an unknown scenario fails the test.
func ServeScenario(t testing.TB, service dhis2sim.Service, scenario string) string {
	t.Helper()
	sim := dhis2sim.New(dhis2sim.Options{Service: service})
	var err error
	sim.Update(func(st *dhis2sim.State) { err = dhis2sim.ApplyScenario(st, scenario) })
	if err != nil {
		t.Fatalf("simulator scenario %q: %v", scenario, err)
	}
	return Serve(t, sim, false).URL
}
