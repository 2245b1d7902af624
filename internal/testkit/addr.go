package testkit

import (
	"net"
	"strconv"
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

// FreeLoopbackPorts returns the first of n consecutive 127.0.0.1 ports that
// were all free a moment ago, for a program that binds the ports after the
// one it is given (scripts/demo.sh serves three simulators from one port).
func FreeLoopbackPorts(t testing.TB, n int) int {
	t.Helper()
	for range 100 {
		first, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := first.Addr().(*net.TCPAddr).Port
		held := []net.Listener{first}
		for i := 1; i < n; i++ {
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+i)))
			if err != nil {
				break
			}
			held = append(held, l)
		}
		for _, l := range held {
			l.Close()
		}
		if len(held) == n {
			return port
		}
	}
	t.Fatalf("found no %d consecutive free loopback ports", n)
	return 0
}
