// Package testkit has the helpers tests across packages share:
//
//   - RequireTool, the one way a test finds a real tool (promtool, Chromium,
//     podman, ...): missing, it skips the test under plain `go test` and fails
//     it under make test (RequireToolsEnv);
//   - Gate, a server that holds requests until opened, so tests keep requests
//     in flight, or act between two of them, without sleeping;
//   - Eventually, Await and AwaitReady, which wait for what happens on another
//     schedule and fail the test, instead of hanging, when it never comes;
//   - throwaway certificates (a CA, server certificates signed by it or
//     self-signed, valid, expired or for another host, as PEM files), free
//     loopback addresses, and Prometheus tool versions.
//
// It imports no package of the exporter, so that every package's own tests,
// internal ones included, can use it.
package testkit
