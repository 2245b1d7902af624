package prober_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Purpose-built listeners on 127.0.0.1 for the faults the simulator cannot
// produce: they misbehave below HTTP (TCP, TLS, DNS) or stream bodies.

// serve starts handler on 127.0.0.1 and stops it when the test ends.
func serve(t *testing.T, handler http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv
}

// serveTLS starts handler with cert on 127.0.0.1.
func serveTLS(t *testing.T, handler http.Handler, cert tls.Certificate) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(handler)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point, not news
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// rawListener accepts connections on 127.0.0.1 and hands each to handle,
// for faults below HTTP. It returns the base URL.
func rawListener(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { handle(c) })
		}
	})
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "http://" + l.Addr().String()
}

// refusedURL is a 127.0.0.1 port with nothing listening: it was bound and
// released, so connecting is refused.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// blackhole accepts connections and never answers (a firewall that drops
// packets after the handshake looks the same to the client).
func blackhole(c net.Conn) {
	_, _ = c.Read(make([]byte, 1)) // returns when the client or the cleanup closes it
}

// resetMidBody answers headers promising a long JSON body, sends part of it
// and resets the connection (SO_LINGER 0 sends RST instead of FIN).
func resetMidBody(c net.Conn) {
	readRequest(c)
	_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{\"username\":\"adm"))
	time.Sleep(20 * time.Millisecond) // let the headers reach the client before the reset overtakes them
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	c.Close()
}

// truncatedBody promises more body than it sends, then closes cleanly.
func truncatedBody(c net.Conn) {
	readRequest(c)
	_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{\"username\":\"adm"))
	c.Close()
}

func readRequest(c net.Conn) {
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil || line == "\r\n" {
			return
		}
	}
}

// stallBody sends the headers and the start of the body, then stops until
// the client goes away: a trickle that never finishes.
var stallBody = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"username":`))
	w.(http.Flusher).Flush()
	<-r.Context().Done()
})

// endlessBody streams JSON-looking bytes until the client stops reading.
var endlessBody = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	chunk := []byte(`{"username":"` + strings.Repeat("a", 64<<10))
	for r.Context().Err() == nil {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
})

// gzipBomb answers a gzip-encoded body that inflates without end: the read
// cap applies to the inflated bytes. It repeats one precompressed member
// (gzip readers read concatenated members as one stream), so serving it
// costs nothing.
var gzipBomb = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Encoding", "gzip")
	_, _ = w.Write(gzipMember([]byte(`{"username":"`)))
	zeros := gzipMember(make([]byte, 1<<20))
	for r.Context().Err() == nil {
		if _, err := w.Write(zeros); err != nil {
			return
		}
	}
})

func gzipMember(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

// gzipped compresses every answer, as a reverse proxy in front of DHIS2 may.
func gzipped(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			http.Error(w, "client did not offer gzip", http.StatusNotAcceptable)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		defer zw.Close()
		next.ServeHTTP(gzipResponseWriter{w, zw}, r)
	})
}

type gzipResponseWriter struct {
	http.ResponseWriter
	zw *gzip.Writer
}

func (g gzipResponseWriter) Write(b []byte) (int, error) { return g.zw.Write(b) }

// nxdomainResolver points the process's resolver at a DNS server on
// 127.0.0.1 that answers NXDOMAIN to everything, so name-resolution faults
// are tested without sending queries off the machine.
func nxdomainResolver(t *testing.T) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			// Echo the query as a response: QR=1, RD copied, RA=1, RCODE=3 (NXDOMAIN).
			resp := append([]byte(nil), buf[:n]...)
			resp[2] = 0x80 | resp[2]&0x01
			resp[3] = 0x80 | 3
			binary.BigEndian.PutUint16(resp[6:], 0) // no answers
			binary.BigEndian.PutUint16(resp[8:], 0) // no authority
			_, _ = pc.WriteTo(resp, addr)
		}
	}()
	old := net.DefaultResolver
	net.DefaultResolver = &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", pc.LocalAddr().String())
		},
	}
	t.Cleanup(func() {
		net.DefaultResolver = old
		pc.Close()
		<-done
	})
}
