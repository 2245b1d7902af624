package simfarm

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
)

// Environment variables that turn a process into the simulator child.
const (
	envChild   = "CHAP_SIMFARM_CHILD"
	envTargets = "CHAP_SIMFARM_TARGETS"
	envLatency = "CHAP_SIMFARM_LATENCY"
)

// Info is what the child reports once its simulators listen.
type Info struct {
	// URLs has one https base URL per simulator.
	URLs []string `json:"urls"`
	// CAPEM is the certificate every simulator presents, for tls_config.ca_file.
	CAPEM string `json:"ca_pem"`
	// StatsURL answers Stats as JSON.
	StatsURL string `json:"stats_url"`
}

// Stats counts, per simulator, the requests that started inside a window
// and every connection opened since the child started.
type Stats struct {
	Requests    []int `json:"requests"`
	Connections []int `json:"connections"`
}

// MaybeChild runs the simulators and exits when this process was started by
// Spawn; otherwise it returns at once.
func MaybeChild() {
	if os.Getenv(envChild) == "" {
		return
	}
	n, err := strconv.Atoi(os.Getenv(envTargets))
	if err != nil || n < 1 {
		fmt.Fprintf(os.Stderr, "simfarm: bad %s: %q\n", envTargets, os.Getenv(envTargets))
		os.Exit(2)
	}
	latency, err := time.ParseDuration(os.Getenv(envLatency))
	if err != nil {
		fmt.Fprintf(os.Stderr, "simfarm: bad %s: %v\n", envLatency, err)
		os.Exit(2)
	}
	if err := runChild(n, latency, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "simfarm:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// runChild serves n simulators until stdin reaches EOF (the parent went away).
func runChild(n int, latency time.Duration, stdin io.Reader, stdout io.Writer) error {
	sims := make([]*dhis2sim.Sim, n)
	conns := make([]atomic.Int64, n)
	info := Info{}
	for i := range n {
		sim := dhis2sim.New(dhis2sim.Options{})
		sim.Update(func(st *dhis2sim.State) { st.Latency = latency })
		srv := httptest.NewUnstartedServer(sim)
		srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns[i].Add(1)
			}
		}
		srv.StartTLS()
		defer srv.Close()
		sims[i] = sim
		info.URLs = append(info.URLs, srv.URL)
		if i == 0 {
			info.CAPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
		}
	}
	stats := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		from, _ := strconv.ParseInt(r.URL.Query().Get("from"), 10, 64)
		to, _ := strconv.ParseInt(r.URL.Query().Get("to"), 10, 64)
		var st Stats
		for i, sim := range sims {
			count := 0
			for _, req := range sim.Requests() {
				if ns := req.Start.UnixNano(); ns >= from && (to == 0 || ns < to) {
					count++
				}
			}
			st.Requests = append(st.Requests, count)
			st.Connections = append(st.Connections, int(conns[i].Load()))
		}
		_ = json.NewEncoder(w).Encode(st)
	}))
	defer stats.Close()
	info.StatsURL = stats.URL
	if err := json.NewEncoder(stdout).Encode(info); err != nil {
		return fmt.Errorf("writing info: %w", err)
	}
	_, _ = io.Copy(io.Discard, stdin)
	return nil
}

// Child is a running simulator child process.
type Child struct {
	Info
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// Spawn re-executes this binary (with args, e.g. to keep a test binary from
// running tests) as a child serving n simulators with per-request latency.
func Spawn(n int, latency time.Duration, args ...string) (*Child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding own executable: %w", err)
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), envChild+"=1", envTargets+"="+strconv.Itoa(n), envLatency+"="+latency.String())
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("simfarm stdin: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("simfarm stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting simfarm child: %w", err)
	}
	c := &Child{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &c.Info)
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("reading simfarm info: %w", err)
	}
	return c, nil
}

// Pid is the child's process id, for reading its CPU time.
func (c *Child) Pid() int { return c.cmd.Process.Pid }

// Stats counts requests that started in [from, to) (to zero: until now).
func (c *Child) Stats(ctx context.Context, from, to time.Time) (*Stats, error) {
	u := fmt.Sprintf("%s?from=%d", c.StatsURL, from.UnixNano())
	if !to.IsZero() {
		u += "&to=" + strconv.FormatInt(to.UnixNano(), 10)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("stats request: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	defer resp.Body.Close()
	var st Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return nil, fmt.Errorf("decoding stats: %w", err)
	}
	return &st, nil
}

// WriteCA writes the simulators' certificate to path for tls_config.ca_file.
func (c *Child) WriteCA(path string) error {
	if err := os.WriteFile(path, []byte(c.CAPEM), 0o600); err != nil {
		return fmt.Errorf("writing CA: %w", err)
	}
	return nil
}

// Close stops the child and waits for it.
func (c *Child) Close() {
	_ = c.stdin.Close()
	_ = c.cmd.Wait()
}
