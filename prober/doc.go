// Package prober runs the DHIS2 → chap-core check chain (or the checks of an
// Open Climate Service or chapkit target) against one target and returns
// plain results. It knows nothing of Prometheus or of serving HTTP.
//
// Checks are values of the Check interface, registered by name with the
// checks they require and the target kinds they apply to; one file per
// check. They form a dependency graph: each starts as soon as its
// requirements have passed, independent checks run concurrently, and one
// deadline bounds the whole probe, so a probe takes as long as its critical
// path.
//
// Everything a server sends is bounded in size and count, made printable and
// stripped of the target's credential before it reaches a Result. Concurrent
// callers share runs (ProbeShared) and the checks of one run share requests
// (Session); see the single-flight notes on each.
package prober
