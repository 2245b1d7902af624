// Package dhis2sim simulates a DHIS2 server with a route to chap-core, the
// CHAP modelling backend, so that chap_exporter can be tested, benchmarked
// and demonstrated without either. It copies the HTTP behaviour checkers
// depend on, quirks included: WebMessage error bodies, 401 JSON or a 302 to
// the login page, the ApiToken scheme (Bearer is refused), /api/apps as a
// bare array with snake_case app_hub_id, the statuses DHIS2's route proxy
// produces itself (404, 403, 503, 504, 502), and the paths and bodies of
// three chap-core generations. It is internal because it is the project's
// own test stand-in, served by the dhis2sim command, not an API for other
// modules.
//
// # In tests
//
//	sim := dhis2sim.New(dhis2sim.Options{})
//	srv := httptest.NewUnstartedServer(sim)
//	srv.Config.ConnState = sim.ConnState // to count connections
//	srv.Start()
//	defer srv.Close()
//
//	sim.Update(func(st *dhis2sim.State) {
//		st.ChapCoreDown = true
//		st.SetFault(dhis2sim.Apps, dhis2sim.Fault{Latency: 2 * time.Second})
//	})
//	// ... run the exporter against srv.URL with user admin / password district ...
//	for _, req := range sim.Requests() { ... } // endpoint, status, start, end, auth scheme
//
// A request first waits State.Latency plus its endpoint's Fault.Latency
// (giving up when the client does), then must carry accepted credentials if
// it is under /api/, then meets its endpoint's Fault, and only then behaves
// normally. A fault therefore overrides the route and chap-core switches.
//
// # As a server
//
// The dhis2sim command serves a Sim:
//
//	go run ./cmd/dhis2sim --web.listen-address=127.0.0.1:8080 \
//		--scenario=chap-core-v1.2 --fault=apps:latency=2s --fault=me:status=500
//	go run ./cmd/dhis2sim --list-scenarios
//
// Credentials default to DefaultUsername, DefaultPassword and DefaultToken;
// --username, --password-env and --token-env (names of environment
// variables) change them.
//
// # Control API
//
// Paths under /__sim/ need no credentials and are not recorded:
//
//	GET    /__sim/state            current State as JSON (durations as "50ms")
//	PUT    /__sim/state            replace the State
//	PATCH  /__sim/state            merge JSON into the State, e.g. {"chap_core_down":true}
//	POST   /__sim/scenario/{name}  replace the State with a scenario (?add=true: apply it on top)
//	GET    /__sim/scenarios        list scenarios, one per line
//	POST   /__sim/reset            healthy State, no requests, no connections
//	GET    /__sim/requests         recorded requests
//	DELETE /__sim/requests         forget requests and connections
//
// For example:
//
//	curl -X POST localhost:8080/__sim/scenario/route-disabled
//	curl -X PATCH localhost:8080/__sim/state -d '{"faults":{"system_info":{"malformed_json":true}}}'
//
// Bad JSON, unknown keys, endpoints, layouts or scenarios answer 400 with
// one line of explanation and change nothing.
package dhis2sim
