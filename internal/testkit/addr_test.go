package testkit

import (
	"net"
	"strconv"
	"testing"
)

// TestFreeLoopbackPorts: each of the ports returned can be bound.
func TestFreeLoopbackPorts(t *testing.T) {
	first := FreeLoopbackPorts(t, 3)
	for i := range 3 {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(first+i)))
		if err != nil {
			t.Fatalf("port %d of 3 (%d): %v", i+1, first+i, err)
		}
		defer l.Close()
	}
}
