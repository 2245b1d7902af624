package testkit

import (
	"net"
	"testing"
)

// FreeLoopbackAddr returns a 127.0.0.1 address with a port that was free a
// moment ago, for a real server (Prometheus, a container's binary) that
// takes its address as a flag.
func FreeLoopbackAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
