package alerting

// Harness for e2e_test.go: builds chap_exporter and dhis2sim, starts them with a real
// Prometheus and one Alertmanager or a cluster of two on 127.0.0.1, and records the
// Slack and webhook notifications at an in-process sink. Every process runs in its own process
// group and is stopped by t.Cleanup.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/dhis2-chap/chap_exporter/internal/testkit"
)

// Timings of the test stack. Rules and Alertmanager use shortened copies of the
// production values; everything runs on 1s scrape and evaluation intervals.
const (
	ruleFor           = "3s" // production: for: 2m
	ruleKeepFiringFor = "4s" // production: keep_firing_for: 5m
	amGroupWait       = "1s" // production: 30s
	amGroupInterval   = "2s" // production: 5m
	// amPeerTimeout is how long the second Alertmanager of a cluster waits for the
	// first one's notification log before sending itself (default 15s). It must be
	// longer than the gossip of the notification log (every 200ms) and shorter than
	// group_interval: a flush of the second Alertmanager still waiting when the first
	// one sends "resolved" goes on to send its stale "firing" snapshot (alertmanager
	// issue #2447). Measured here with 3s against a 2s group_interval: a stale
	// firing+resolved pair after every outage. See TestEndToEndHA for the rest.
	amPeerTimeout = 1 * time.Second
	// quiet is how long a scenario waits after its last expected notification to be
	// sure no further one arrives: longer than a group_interval plus the peer timeout.
	quiet = amPeerTimeout + 3*time.Second
)

// requiredTools are the binaries the test runs; scripts/ensure-tools.sh installs them,
// scripts/current-tools.sh builds current versions (make test-current).
var requiredTools = []string{"go", "prometheus", "prometheus-alertmanager"}

// The secret files alerting/alertmanager.yml reads; the test points them at its own.
const (
	slackURLFile   = "/etc/prometheus/secrets/slack_api_url"
	webhookURLFile = "/etc/prometheus/secrets/webhook_url"
)

// proc is a started process with its log file.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// startProc starts bin in its own process group, with output to dir/name.log, and
// registers a cleanup that stops the group.
func startProc(t *testing.T, dir, name, bin string, env []string, args ...string) *proc {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("--- last lines of %s ---\n%s", p.log, tail(p.log, 25))
		}
	})
	return p
}

// stop sends SIGTERM to the process group, and SIGKILL if it has not exited within 5s.
func (p *proc) stop(t *testing.T) {
	select {
	case <-p.done:
		return
	default:
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		t.Logf("%s did not stop on SIGTERM; killing", p.name)
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
}

func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func httpDo(method, u, body string) (int, string, error) {
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// replaceAll replaces old with new in s and fails the test unless old occurred exactly
// n times: a drift between the production configuration and this test is an error,
// not a silently different test.
func replaceAll(t *testing.T, what, s, old, new string, n int) string {
	t.Helper()
	if got := strings.Count(s, old); got != n {
		t.Fatalf("%s: %q occurs %d times, the test expects %d", what, old, got, n)
	}
	return strings.ReplaceAll(s, old, new)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// ---------------------------------------------------------------------------------------
// Notification sink
// ---------------------------------------------------------------------------------------

// note is one notification received by the sink.
type note struct {
	key
	instance string
	// from is the Alertmanager that sent a webhook notification (its external URL);
	// Slack payloads do not say.
	from string
	at   time.Time
}

// key identifies a kind of notification: which receiver, which alert, firing or
// resolved, and the failure reason it reported ("" when it has none).
type key struct {
	receiver, alertname, status, reason string
}

func (k key) String() string {
	return fmt.Sprintf("%s %s %s reason=%q", k.receiver, k.alertname, k.status, k.reason)
}

// sink is an HTTP server standing in for Slack (/slack) and a webhook receiver
// (/webhook). It parses each payload the way a person would read it: the Slack title
// and text rendered by alerting/templates/chap.tmpl, the webhook's JSON.
type sink struct {
	srv *httptest.Server

	mu    sync.Mutex
	notes []note
	errs  []error
}

var (
	slackTitle  = regexp.MustCompile(`^\[(FIRING|RESOLVED)\] (\w+): (\S+)`)
	slackReason = regexp.MustCompile("\\*Last failure reason:\\* `([^`]*)`")
)

func newSink(t *testing.T) *sink {
	s := &sink{}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var notes []note
	var err error
	switch r.URL.Path {
	case "/slack":
		notes, err = parseSlack(body)
	case "/webhook":
		notes, err = parseWebhook(body)
	default:
		err = fmt.Errorf("unexpected path %s", r.URL.Path)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.errs = append(s.errs, fmt.Errorf("%s: %w: %s", r.URL.Path, err, body))
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.notes = append(s.notes, notes...)
	if r.URL.Path == "/slack" {
		// Slack's incoming webhooks answer 200 with the body "ok"; Alertmanager 0.26 and
		// later treat any other answer as a failed delivery and send it again.
		_, _ = io.WriteString(w, "ok")
	}
}

func parseSlack(body []byte) ([]note, error) {
	var msg struct {
		Attachments []struct {
			Title, Text string
		}
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		return nil, err
	}
	if len(msg.Attachments) != 1 {
		return nil, fmt.Errorf("%d attachments, want 1", len(msg.Attachments))
	}
	a := msg.Attachments[0]
	m := slackTitle.FindStringSubmatch(a.Title)
	if m == nil {
		return nil, fmt.Errorf("title %q does not look like [STATUS] Alert: target", a.Title)
	}
	n := note{key: key{receiver: "slack", alertname: m[2], status: strings.ToLower(m[1])}, instance: m[3], at: time.Now()}
	if r := slackReason.FindStringSubmatch(a.Text); r != nil {
		n.reason = r[1]
	}
	if !strings.Contains(a.Text, "`"+n.instance+"`") {
		return nil, fmt.Errorf("text does not name the target %q: %s", n.instance, a.Text)
	}
	return []note{n}, nil
}

func parseWebhook(body []byte) ([]note, error) {
	var msg struct {
		Status      string
		ExternalURL string
		Alerts      []struct {
			Status      string
			Labels      map[string]string
			Annotations map[string]string
		}
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		return nil, err
	}
	if len(msg.Alerts) != 1 {
		return nil, fmt.Errorf("%d alerts in one message, want 1 (group_by should give one per group)", len(msg.Alerts))
	}
	a := msg.Alerts[0]
	return []note{{
		key:      key{receiver: "webhook", alertname: a.Labels["alertname"], status: msg.Status, reason: a.Annotations["reason"]},
		instance: a.Labels["instance"],
		from:     msg.ExternalURL,
		at:       time.Now(),
	}}, nil
}

// mark returns the position after the notifications received so far.
func (s *sink) mark() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.notes)
}

// since counts the notifications received after mark, and returns the sink's parse
// errors.
func (s *sink) since(mark int) (map[key]int, []note, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	got := map[key]int{}
	for _, n := range s.notes[mark:] {
		got[n.key]++
	}
	return got, append([]note(nil), s.notes[mark:]...), errors.Join(s.errs...)
}

// waitAtLeast waits until every notification in want has arrived (at least as often
// as wanted) after mark.
func (s *sink) waitAtLeast(t *testing.T, mark int, want map[key]int, timeout time.Duration) {
	t.Helper()
	testkit.Eventually(t, "notifications "+fmtCounts(want), timeout, func() error {
		got, notes, err := s.since(mark)
		if err != nil {
			t.Fatalf("sink: %v", err)
		}
		for k, n := range want {
			if got[k] < n {
				return fmt.Errorf("have %s", fmtNotes(notes))
			}
		}
		return nil
	})
}

// expectExactly fails unless the notifications after mark are exactly want.
func (s *sink) expectExactly(t *testing.T, mark int, want map[key]int) {
	t.Helper()
	got, notes, err := s.since(mark)
	if err != nil {
		t.Fatalf("sink: %v", err)
	}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("%s: got %d notifications, want %d", k, got[k], want[k])
		}
	}
	for k, n := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected notification %s (%d times)", k, n)
		}
	}
	if t.Failed() {
		t.Logf("notifications since the scenario started: %s", fmtNotes(notes))
	}
}

func fmtCounts(c map[key]int) string {
	var parts []string
	for k, n := range c {
		parts = append(parts, fmt.Sprintf("%dx %s", n, k))
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

func fmtNotes(notes []note) string {
	if len(notes) == 0 {
		return "none"
	}
	var b strings.Builder
	for _, n := range notes {
		fmt.Fprintf(&b, "\n  %s %s instance=%s %s", n.at.Format("15:04:05.000"), n.key, n.instance, n.from)
	}
	return b.String()
}

// ---------------------------------------------------------------------------------------
// The stack
// ---------------------------------------------------------------------------------------

// stack is a running simulator, exporter, Prometheus and one or more Alertmanagers.
type stack struct {
	// t is the top-level test: processes started during a scenario must outlive it.
	t            *testing.T
	dir          string
	exporterBin  string
	exporterAddr string
	exporter     *proc
	simURL       string
	// ocsURL is the simulated Open Climate Service behind target "climate".
	ocsURL string
	// began is when the current scenario started.
	began   time.Time
	promURL string
	amURLs  []string
	sink    *sink
}

// repoRoot is the module root, relative to this package's directory.
const repoRoot = ".."

// newStack starts everything, with alertmanagers Alertmanagers (1, or 2 as a cluster),
// and returns once Prometheus has scraped the first probe.
func newStack(t *testing.T, alertmanagers int) *stack {
	t.Helper()
	for _, tool := range requiredTools {
		testkit.RequireTool(t, tool)
	}
	s := &stack{t: t, dir: t.TempDir(), sink: newSink(t)}
	testkit.ToolVersion(t, "prometheus")

	var simBin string
	s.exporterBin, simBin = buildBinaries(t, s.dir)

	// Simulator and exporter.
	simAddr := testkit.FreeLoopbackAddr(t)
	s.simURL = "http://" + simAddr
	startProc(t, s.dir, "dhis2sim", simBin, nil, "--web.listen-address="+simAddr)
	testkit.AwaitReady(t, "dhis2sim", s.simURL+"/__sim/state")
	ocsAddr := testkit.FreeLoopbackAddr(t)
	s.ocsURL = "http://" + ocsAddr
	startProc(t, s.dir, "dhis2sim-ocs", simBin, nil, "--service=ocs", "--web.listen-address="+ocsAddr)
	testkit.AwaitReady(t, "dhis2sim-ocs", s.ocsURL+"/__sim/state")

	s.exporterAddr = testkit.FreeLoopbackAddr(t)
	writeFile(t, filepath.Join(s.dir, "chap.yml"), fmt.Sprintf(`targets:
  demo:
    url: %s
    auth: {username: admin, password_env: SIM_PASSWORD}
    timeout: 5s
  climate:
    kind: ocs
    display_name: Climate service
    url: %s
    timeout: 5s
`, s.simURL, s.ocsURL))
	s.startExporter()

	// Alertmanagers.
	amDir := filepath.Join(s.dir, "alertmanager")
	if err := os.MkdirAll(filepath.Join(amDir, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	tmpl := readFile(t, "templates/chap.tmpl")
	writeFile(t, filepath.Join(amDir, "templates", "chap.tmpl"), tmpl)
	writeFile(t, filepath.Join(amDir, "slack_api_url"), s.sink.srv.URL+"/slack\n")
	writeFile(t, filepath.Join(amDir, "webhook_url"), s.sink.srv.URL+"/webhook\n")
	am := readFile(t, "alertmanager.yml")
	am = replaceAll(t, "alertmanager.yml", am, "group_wait: 30s", "group_wait: "+amGroupWait, 1)
	am = replaceAll(t, "alertmanager.yml", am, "group_interval: 5m", "group_interval: "+amGroupInterval, 1)
	am = replaceAll(t, "alertmanager.yml", am, "api_url_file: "+slackURLFile, "api_url_file: "+filepath.Join(amDir, "slack_api_url"), 1)
	if testkit.HasWebhookURLFile(testkit.ToolVersion(t, "prometheus-alertmanager")) {
		am = replaceAll(t, "alertmanager.yml", am, "url_file: "+webhookURLFile, "url_file: "+filepath.Join(amDir, "webhook_url"), 1)
	} else {
		var err error
		if am, err = testkit.ForAlertmanager025(am, s.sink.srv.URL+"/webhook"); err != nil {
			t.Fatalf("alertmanager.yml: %v", err)
		}
	}
	amConfig := filepath.Join(amDir, "alertmanager.yml")
	writeFile(t, amConfig, am)

	var webAddrs, clusterAddrs []string
	for range alertmanagers {
		webAddrs = append(webAddrs, testkit.FreeLoopbackAddr(t))
		clusterAddrs = append(clusterAddrs, testkit.FreeLoopbackAddr(t))
	}
	for i := range webAddrs {
		name := fmt.Sprintf("alertmanager%d", i+1)
		args := []string{
			"--config.file=" + amConfig,
			"--storage.path=" + filepath.Join(s.dir, name+"-data"),
			"--web.listen-address=" + webAddrs[i],
			// as documented in alertmanager.yml: keep the notification log as long as
			// repeat_interval
			"--data.retention=8760h",
		}
		if alertmanagers == 1 {
			args = append(args, "--cluster.listen-address=") // no cluster
		} else {
			args = append(args,
				"--cluster.listen-address="+clusterAddrs[i],
				"--cluster.settle-timeout=2s",
				"--cluster.peer-timeout="+amPeerTimeout.String())
			for j, peer := range clusterAddrs {
				if j != i {
					args = append(args, "--cluster.peer="+peer)
				}
			}
		}
		startProc(t, s.dir, name, "prometheus-alertmanager", nil, args...)
		s.amURLs = append(s.amURLs, "http://"+webAddrs[i])
	}
	for i, u := range s.amURLs {
		testkit.AwaitReady(t, fmt.Sprintf("alertmanager%d", i+1), u+"/-/ready")
	}

	// Prometheus: the example configuration with test addresses, and the rules with
	// shortened timings.
	rules := readFile(t, "rules.yml")
	// indented as rule fields, so the header comment's mentions do not count
	rules = replaceAll(t, "rules.yml", rules, "\n        for: 2m\n", "\n        for: "+ruleFor+"\n", 15)
	rules = replaceAll(t, "rules.yml", rules, "\n        keep_firing_for: 5m\n", "\n        keep_firing_for: "+ruleKeepFiringFor+"\n", 15)
	rulesPath := filepath.Join(s.dir, "rules.yml")
	writeFile(t, rulesPath, rules)
	promConfig := filepath.Join(s.dir, "prometheus.yml")
	writeFile(t, promConfig, s.prometheusConfig(t, rulesPath, webAddrs))
	promAddr := testkit.FreeLoopbackAddr(t)
	s.promURL = "http://" + promAddr
	startProc(t, s.dir, "prometheus", "prometheus", nil,
		"--config.file="+promConfig,
		"--storage.tsdb.path="+filepath.Join(s.dir, "prometheus-data"),
		"--web.listen-address="+promAddr,
		// Prometheus drops alerts while Alertmanager discovery is not done and resends
		// only after this delay (default 1m).
		"--rules.alert.resend-delay=1s",
	)
	testkit.AwaitReady(t, "prometheus", s.promURL+"/-/ready")
	// The first scrape of a static target comes about 6s after start.
	testkit.Eventually(t, "first probe scraped", 30*time.Second, func() error {
		return s.expectSeries(`probe_success{job="chap_probe",instance="demo"} == 1 and on () probe_success{job="chap_probe",instance="climate"} == 1`)
	})
	return s
}

// buildBinaries builds chap_exporter and dhis2sim into dir.
func buildBinaries(t *testing.T, dir string) (exporterBin, simBin string) {
	t.Helper()
	exporterBin, simBin = filepath.Join(dir, "chap_exporter"), filepath.Join(dir, "dhis2sim")
	for bin, pkg := range map[string]string{exporterBin: "./cmd/chap_exporter", simBin: "./cmd/dhis2sim"} {
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	return exporterBin, simBin
}

// startExporter starts chap_exporter on s.exporterAddr and waits until it answers. The
// process belongs to the top-level test, so a restart inside a scenario outlives it.
func (s *stack) startExporter() {
	t := s.t
	t.Helper()
	s.exporter = startProc(t, s.dir, "chap_exporter", s.exporterBin, []string{"SIM_PASSWORD=district"},
		"--config.file="+filepath.Join(s.dir, "chap.yml"),
		"--web.listen-address="+s.exporterAddr,
	)
	testkit.AwaitReady(t, "chap_exporter", "http://"+s.exporterAddr+"/-/ready")
}

// prometheusConfig is examples/prometheus/prometheus.yml with 1s intervals, the test's
// addresses, targets "demo" (DHIS2) and "climate" (OCS) opted in to both receivers, and the shortened rules. The
// example's relabelling is used unchanged apart from the exporter's address.
func (s *stack) prometheusConfig(t *testing.T, rulesPath string, amAddrs []string) string {
	t.Helper()
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(readFile(t, filepath.Join(repoRoot, "examples/prometheus/prometheus.yml"))), &cfg); err != nil {
		t.Fatal(err)
	}
	const exampleExporter = "127.0.0.1:9977"
	cfg["global"] = map[string]any{"scrape_interval": "1s", "evaluation_interval": "1s"}
	cfg["rule_files"] = []any{rulesPath}
	cfg["alerting"] = map[string]any{"alertmanagers": []any{
		map[string]any{"static_configs": []any{map[string]any{"targets": amAddrs}}},
	}}
	jobs := map[string]bool{}
	scrapeConfigs, _ := cfg["scrape_configs"].([]any)
	for _, sc := range scrapeConfigs {
		job, _ := sc.(map[string]any)
		name, _ := job["job_name"].(string)
		jobs[name] = true
		switch name {
		case "chap_probe":
			job["scrape_timeout"] = "1s"
			job["static_configs"] = []any{map[string]any{
				"targets": []any{"demo", "climate"},
				"labels":  map[string]any{"notify": "slack,webhook"},
			}}
			replaced := 0
			relabels, _ := job["relabel_configs"].([]any)
			for _, rc := range relabels {
				r, _ := rc.(map[string]any)
				if r["replacement"] == exampleExporter {
					r["replacement"] = s.exporterAddr
					replaced++
				}
			}
			if replaced != 1 {
				t.Fatalf("example chap_probe job: %d relabel rules set __address__ to %s, want 1", replaced, exampleExporter)
			}
		case "chap_exporter":
			// keep the example's notify label: the exporter's own alerts go to Slack only
			statics, _ := job["static_configs"].([]any)
			if len(statics) != 1 {
				t.Fatalf("example chap_exporter job: %d static_configs, want 1", len(statics))
			}
			statics[0].(map[string]any)["targets"] = []any{s.exporterAddr}
		}
	}
	if !jobs["chap_probe"] || !jobs["chap_exporter"] {
		t.Fatalf("example prometheus.yml lacks the chap_probe or chap_exporter job: %v", jobs)
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// sim sends a control request to the DHIS2 simulator.
func (s *stack) sim(t *testing.T, method, path, body string) {
	t.Helper()
	s.control(t, s.simURL, method, path, body)
}

// control sends a control request to the simulator at base.
func (s *stack) control(t *testing.T, base, method, path, body string) {
	t.Helper()
	code, resp, err := httpDo(method, base+path, body)
	if err != nil || code != http.StatusOK {
		t.Fatalf("%s %s: %d %s %v", method, path, code, resp, err)
	}
}

// promResult is the data of a Prometheus API query answer.
type promResult struct {
	ResultType string            `json:"resultType"`
	Result     []json.RawMessage `json:"result"`
}

// promAPI calls a Prometheus HTTP API endpoint and decodes its data into out.
func (s *stack) promAPI(path string, params url.Values, out any) error {
	code, body, err := httpDo(http.MethodGet, s.promURL+path+"?"+params.Encode(), "")
	if err != nil {
		return err
	}
	var resp struct {
		Status    string          `json:"status"`
		Data      json.RawMessage `json:"data"`
		ErrorType string          `json:"errorType"`
		Error     string          `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		return fmt.Errorf("HTTP %d, not JSON: %s", code, body)
	}
	if resp.Status != "success" {
		return fmt.Errorf("%s: %s", resp.ErrorType, resp.Error)
	}
	return json.Unmarshal(resp.Data, out)
}

// query runs an instant query, or a range query over the last minute.
func (s *stack) query(expr string, instant bool) (promResult, error) {
	var r promResult
	now := time.Now()
	if instant {
		err := s.promAPI("/api/v1/query", url.Values{"query": {expr}, "time": {fmt.Sprint(now.Unix())}}, &r)
		return r, err
	}
	err := s.promAPI("/api/v1/query_range", url.Values{
		"query": {expr},
		"start": {fmt.Sprint(now.Add(-time.Minute).Unix())},
		"end":   {fmt.Sprint(now.Unix())},
		"step":  {"1"},
	}, &r)
	return r, err
}

// expectSeries returns nil when the instant query returns at least one series.
func (s *stack) expectSeries(expr string) error {
	r, err := s.query(expr, true)
	if err != nil {
		return err
	}
	if len(r.Result) == 0 {
		return fmt.Errorf("%s: no data", expr)
	}
	return nil
}

// activeAlerts lists Prometheus's pending and firing alerts.
func (s *stack) activeAlerts() ([]string, error) {
	var data struct {
		Alerts []struct {
			Labels map[string]string `json:"labels"`
			State  string            `json:"state"`
		} `json:"alerts"`
	}
	if err := s.promAPI("/api/v1/alerts", nil, &data); err != nil {
		return nil, err
	}
	var out []string
	for _, a := range data.Alerts {
		out = append(out, a.Labels["alertname"]+"("+a.State+")")
	}
	return out, nil
}

// settle resets the simulators and waits until Prometheus has no pending or firing
// alert and Alertmanager has had time to send the last resolved messages.
func (s *stack) settle(t *testing.T) {
	t.Helper()
	s.sim(t, http.MethodPost, "/__sim/reset", "")
	s.control(t, s.ocsURL, http.MethodPost, "/__sim/reset", "")
	testkit.Eventually(t, "no active alerts", 60*time.Second, func() error {
		alerts, err := s.activeAlerts()
		if err != nil {
			return err
		}
		if len(alerts) > 0 {
			return fmt.Errorf("active: %v", alerts)
		}
		return nil
	})
	time.Sleep(quiet)
}
