package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/internal/testkit"
)

// These tests run the real binary: TLS and basic auth from
// --web.config.file, SIGHUP reloads and SIGTERM shutdown only exist there.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "chap_exporter-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "chap_exporter")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// exporter is a running chap_exporter process.
type exporter struct {
	cmd      *exec.Cmd
	addr     string // host:port it listens on
	exited   chan struct{}
	exitCode int
	logs     *logBuffer
}

type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *logBuffer) add(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, line)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}

var listeningRE = regexp.MustCompile(`msg="Listening on" address=(\S+)`)

// start runs the binary on a free 127.0.0.1 port with args and waits until
// it listens. The process is killed when the test ends, if still running.
func start(t *testing.T, env []string, args ...string) *exporter {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--web.listen-address=127.0.0.1:0", "--log.level=debug"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e := &exporter{cmd: cmd, exited: make(chan struct{}), logs: &logBuffer{}}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			e.logs.add(sc.Text())
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		err := cmd.Wait()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			e.exitCode = exit.ExitCode()
		}
		close(e.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-e.exited:
		default:
			_ = cmd.Process.Kill()
			<-e.exited
		}
		if t.Failed() {
			t.Logf("exporter logs:\n%s", e.logs)
		}
	})
	select {
	case e.addr = <-addr:
	case <-e.exited:
		t.Fatalf("exporter exited with %d before listening:\n%s", e.exitCode, e.logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("exporter did not listen within 30s:\n%s", e.logs)
	}
	return e
}

func (e *exporter) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := e.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// waitExit waits for the process to end within limit and returns its code.
func (e *exporter) waitExit(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-e.exited:
		return e.exitCode
	case <-time.After(limit):
		t.Fatalf("exporter still running %s after the signal", limit)
		return -1
	}
}

// get fetches path from the exporter over plain HTTP.
func (e *exporter) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + e.addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// getAsync fetches path and delivers the status code, 0 when the request
// failed (e.g. the connection was dropped).
func (e *exporter) getAsync(path string) <-chan int {
	ch := make(chan int, 1)
	go func() {
		resp, err := http.Get("http://" + e.addr + path)
		if err != nil {
			ch <- 0
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		ch <- resp.StatusCode
	}()
	return ch
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// simulator serves a healthy dhis2sim and returns the env its token needs.
func simulator(t *testing.T) (*dhis2sim.Sim, string, []string) {
	sim := dhis2sim.New(dhis2sim.Options{})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv.URL, []string{"SIM_TOKEN=" + dhis2sim.DefaultToken}
}

func TestWebConfigTLSAndBasicAuth(t *testing.T) {
	const password = "web-canary-8c1d"
	sim, simURL, env := simulator(t)
	dir := t.TempDir()
	ca := testkit.NewCA(t)
	leaf := ca.Issue(t, []string{"127.0.0.1"}, testkit.Valid())
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := writeFile(t, filepath.Join(dir, "web.yml"), fmt.Sprintf(
		"tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  prometheus: %s\n", leaf.CertFile, leaf.KeyFile, hash))
	config := writeFile(t, filepath.Join(dir, "chap.yml"), fmt.Sprintf("targets:\n  demo:\n    url: %s\n    auth: {token_env: SIM_TOKEN}\n", simURL))
	e := start(t, env, "--config.file="+config, "--web.config.file="+webConfig)

	roots := x509.NewCertPool()
	caPEM, err := os.ReadFile(ca.File)
	if err != nil || !roots.AppendCertsFromPEM(caPEM) {
		t.Fatalf("reading CA: %v", err)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	tests := []struct {
		name, path, user, password string
		code                       int
		body                       string
	}{
		{"metrics with the password", "/metrics", "prometheus", password, 200, "chap_exporter_build_info"},
		{"probe with the password", "/probe?target=demo", "prometheus", password, 200, "\nprobe_success 1\n"},
		{"metrics with a wrong password", "/metrics", "prometheus", "wrong", 401, "Unauthorized"},
		{"probe with a wrong password", "/probe?target=demo", "prometheus", "wrong", 401, "Unauthorized"},
		{"probe without credentials", "/probe?target=demo", "", "", 401, "Unauthorized"},
		{"unknown user", "/metrics", "admin", password, 401, "Unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim.ClearRequests()
			req, _ := http.NewRequest(http.MethodGet, "https://"+e.addr+tt.path, nil)
			if tt.user != "" {
				req.SetBasicAuth(tt.user, tt.password)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.code || !strings.Contains(string(b), tt.body) {
				t.Errorf("%s = %d, want %d containing %q:\n%s", tt.path, resp.StatusCode, tt.code, tt.body, b)
			}
			if probed := len(sim.Requests()) > 0; probed != (tt.code == 200 && strings.HasPrefix(tt.path, "/probe")) {
				t.Errorf("DHIS2 was probed: %t", probed)
			}
		})
	}
	t.Run("plain HTTP is refused", func(t *testing.T) {
		if code, _ := e.get(t, "/metrics"); code != http.StatusBadRequest {
			t.Errorf("plain HTTP to the TLS listener answered %d, want 400", code)
		}
	})
	if strings.Contains(e.logs.String(), password) {
		t.Error("the web password appears in the logs")
	}
}

func TestSIGTERMDuringProbes(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		// open releases the held probes after SIGTERM; otherwise they run
		// into their timeout.
		open bool
	}{
		{"probes in flight finish", 30 * time.Second, true},
		{"probes in flight are cut off by their budget", time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := testkit.NewGate(t)
			// One target per probe: concurrent scrapes of one target share a run.
			const inFlight = 3
			targets := "targets:\n"
			for i := range inFlight {
				targets += fmt.Sprintf("  slow%d:\n    url: %s\n    checks: [dhis2_ping]\n    timeout: %s\n", i, g.URL, tt.timeout)
			}
			config := writeFile(t, filepath.Join(t.TempDir(), "chap.yml"), targets)
			e := start(t, nil, "--config.file="+config)
			var probes []<-chan int
			for i := range inFlight {
				probes = append(probes, e.getAsync(fmt.Sprintf("/probe?target=slow%d", i)))
			}
			g.AwaitN(t, inFlight)

			signalled := time.Now()
			e.signal(t, syscall.SIGTERM)
			// Shutdown closes the listener first: once a new connection is
			// refused, the probes are in flight during shutdown.
			testkit.Eventually(t, "the listener to close", 20*time.Second, func() bool {
				c, err := net.Dial("tcp", e.addr)
				if err == nil {
					c.Close()
				}
				return err != nil
			})
			if tt.open {
				g.Open()
			}
			for _, ch := range probes {
				if code := testkit.Await(t, ch, "a probe in flight at SIGTERM"); code != 200 {
					t.Errorf("probe in flight at SIGTERM answered %d, want 200", code)
				}
			}
			if code := e.waitExit(t, 30*time.Second); code != 0 {
				t.Errorf("exit code %d, want 0", code)
			}
			// Budget plus a margin for process exit on a loaded machine;
			// without a gate opening, only the budget can end the probes.
			if limit := min(tt.timeout, 5*time.Second) + 5*time.Second; time.Since(signalled) > limit {
				t.Errorf("exited %s after SIGTERM, want within %s", time.Since(signalled), limit)
			}
		})
	}
}

func TestSIGHUPReloadsWhileProbesAreInFlight(t *testing.T) {
	_, simURL, env := simulator(t)
	g := testkit.NewGate(t)
	config := filepath.Join(t.TempDir(), "chap.yml")
	target := func(name, url string) string {
		return fmt.Sprintf("  %s:\n    url: %s\n    auth: {token_env: SIM_TOKEN}\n    checks: [dhis2_ping]\n", name, url)
	}
	writeFile(t, config, "targets:\n"+target("demo", simURL)+target("slow", g.URL))
	e := start(t, env, "--config.file="+config)

	held := e.getAsync("/probe?target=slow")
	g.AwaitN(t, 1)

	// Remove demo and slow, add renamed.
	writeFile(t, config, "targets:\n"+target("renamed", simURL))
	e.signal(t, syscall.SIGHUP)
	testkit.Eventually(t, "the added target to answer", 20*time.Second, func() bool {
		code, _ := e.get(t, "/probe?target=renamed")
		return code == 200
	})
	if code, body := e.get(t, "/probe?target=demo"); code != 400 {
		t.Errorf("removed target answered %d %q, want 400", code, body)
	}
	g.Open()
	if code := testkit.Await(t, held, "the probe in flight at the reload"); code != 200 {
		t.Errorf("probe in flight during the reload answered %d, want 200", code)
	}

	// A bad file keeps the configuration in force.
	writeFile(t, config, "targets:\n  broken:\n    url: ftp://x\n")
	e.signal(t, syscall.SIGHUP)
	testkit.Eventually(t, "the failed reload to show", 20*time.Second, func() bool {
		_, m := e.get(t, "/metrics")
		return strings.Contains(m, "chap_exporter_config_last_reload_successful 0")
	})
	if code, body := e.get(t, "/probe?target=renamed"); code != 200 || !strings.Contains(body, "\nprobe_success 1\n") {
		t.Errorf("after a failed reload the old target answered %d:\n%s", code, body)
	}
	select {
	case <-e.exited:
		t.Fatalf("exporter exited with %d during reloads", e.exitCode)
	default:
	}
}

// TestConfigExampleWorksAgainstTheSimulator follows the template's own
// instructions: print it, point url at a DHIS2 (the simulator), export the
// token, validate, probe once. Every default check must be ok.
func TestConfigExampleWorksAgainstTheSimulator(t *testing.T) {
	_, simURL, _ := simulator(t)
	template, err := exec.Command(binary, "--config.example").Output()
	if err != nil {
		t.Fatal(err)
	}
	content := strings.Replace(string(template), "url: https://dhis2.example.org\n", "url: "+simURL+"\n", 1)
	if content == string(template) {
		t.Fatal("the template has no line url: https://dhis2.example.org")
	}
	file := writeFile(t, filepath.Join(t.TempDir(), "chap.yml"), content)
	env := append(os.Environ(), "PROD_DHIS2_TOKEN="+dhis2sim.DefaultToken)

	validate := exec.Command(binary, "--config.file="+file, "--config.check")
	validate.Env = env
	out, err := validate.CombinedOutput()
	if err != nil || string(out) != file+": valid, 1 target\n" {
		t.Fatalf("--config.check: %v\n%s", err, out)
	}

	check := exec.Command(binary, "--config.file="+file, "check")
	check.Env = env
	out, err = check.CombinedOutput()
	if err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
	for _, name := range []string{"http_2xx", "dhis2_ping", "dhis2_system_info", "dhis2_chap_route", "dhis2_chap_ping",
		"dhis2_chap_system_info", "dhis2_chap_modeling_app", "dhis2_chap_climate_app"} {
		if !regexp.MustCompile(`(?m)^prod +` + name + ` +ok `).Match(out) {
			t.Errorf("check %s is not ok:\n%s", name, out)
		}
	}
}

func TestHelp(t *testing.T) {
	tests := []struct {
		args    []string
		want    []string // regular expressions on stdout
		notWant []string
	}{
		{[]string{"--help"}, []string{`(?m)^usage: chap_exporter `, `--web.listen-address`, `--web.external-url`, `(?m)^check \[<flags>\]`}, nil},
		{[]string{"check", "--help"}, []string{`(?m)^usage: chap_exporter check `, `--url=URL`, `--config.file=`, `--\[no-\]quiet`},
			[]string{`--web.`, `--timeout-offset`, `--log.level`, `--config.example`}},
		{[]string{"--help-man"}, []string{`^\.TH chap_exporter 1 "" "chap_exporter[^"\n]*"\n\.SH "NAME"`}, nil},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			cmd := exec.Command(binary, tt.args...)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v; stderr: %s", err, stderr.String())
			}
			if stderr.Len() > 0 {
				t.Errorf("help went to stderr too: %s", stderr.String())
			}
			for _, re := range tt.want {
				if !regexp.MustCompile(re).MatchString(stdout.String()) {
					t.Errorf("stdout lacks %s:\n%s", re, stdout.String())
				}
			}
			for _, re := range tt.notWant {
				if regexp.MustCompile(re).MatchString(stdout.String()) {
					t.Errorf("stdout has %s:\n%s", re, stdout.String())
				}
			}
		})
	}
}

// TestStartWithoutConfig: a configuration that does not load at start-up is
// reported once, without talk of a previous one.
func TestStartWithoutConfig(t *testing.T) {
	out, err := exec.Command(binary, "--config.file="+filepath.Join(t.TempDir(), "chap.yml"), "--web.listen-address=127.0.0.1:0").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit: %v, want 1\n%s", err, out)
	}
	if !strings.Contains(string(out), `msg="Cannot start" err=`) || strings.Contains(string(out), "previous") {
		t.Errorf("start-up log:\n%s", out)
	}
}

// TestDemo runs scripts/demo.sh (make demo): it prints its curl lines only
// once the exporter answers, and stops with a message when a port is taken.
func TestDemo(t *testing.T) {
	testkit.RequireTool(t, "curl") // demo.sh waits for each server with curl
	dir := t.TempDir()
	for _, name := range []string{"chap_exporter", "dhis2sim"} {
		if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, name), "../"+name).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", name, err, out)
		}
	}
	// demo.sh serves its three simulators from the port it is given and the two after it.
	simPorts := func() string { return strconv.Itoa(testkit.FreeLoopbackPorts(t, 3)) }
	exporterPort := func() string { return strconv.Itoa(testkit.FreeLoopbackPorts(t, 1)) }

	t.Run("port taken", func(t *testing.T) {
		taken, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer taken.Close()
		cmd := exec.Command("../../scripts/demo.sh", dir, simPorts(), strconv.Itoa(taken.Addr().(*net.TCPAddr).Port))
		out, err := cmd.CombinedOutput()
		if err == nil || strings.Contains(string(out), "Try:") || !strings.Contains(string(out), "make demo: chap_exporter exited (is the port in use?") {
			t.Errorf("demo with the exporter's port taken: %v\n%s", err, out)
		}
	})

	t.Run("healthy", func(t *testing.T) {
		// A demo that never prints its last line is killed, so the test ends.
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "../../scripts/demo.sh", dir, simPorts(), exporterPort())
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) } // demo.sh stops its children
		cmd.WaitDelay = 10 * time.Second
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		var seen []string
		for sc.Scan() && !strings.HasPrefix(sc.Text(), "Ctrl-C stops") {
			seen = append(seen, sc.Text())
		}
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		if !strings.Contains(strings.Join(seen, "\n"), "Try:") {
			t.Errorf("demo printed no curl lines:\n%s", strings.Join(seen, "\n"))
		}
	})
}

// TestSecondSignalExitsAtOnce: shutdown waits for probes in flight, up to
// the longest target timeout; a second SIGTERM ends the wait at once.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	g := testkit.NewGate(t)
	config := writeFile(t, filepath.Join(t.TempDir(), "chap.yml"),
		fmt.Sprintf("targets:\n  slow:\n    url: %s\n    checks: [dhis2_ping]\n    timeout: 5m\n", g.URL))
	e := start(t, nil, "--config.file="+config)
	probe := e.getAsync("/probe?target=slow")
	g.AwaitN(t, 1)
	e.signal(t, syscall.SIGTERM)
	testkit.Eventually(t, "the shutdown to begin", 20*time.Second, func() bool { return strings.Contains(e.logs.String(), "Shutting down") })
	e.signal(t, syscall.SIGTERM)
	if code := e.waitExit(t, 10*time.Second); code != 1 {
		t.Errorf("exit code %d after a second signal, want 1", code)
	}
	<-probe
}
