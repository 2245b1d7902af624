//go:build race

package server_test

// raceDetector is true when the tests run with -race, which makes every
// HTTP round trip several times slower.
const raceDetector = true
