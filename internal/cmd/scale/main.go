package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/internal/simfarm"
)

// criticalPathRequests is the number of round trips that must follow one
// another in the default chain: /api/me → routes → chap health → chap system info.
const criticalPathRequests = 4

type options struct {
	exporter      string
	exporterFlags string
	targets       int
	scrapers      int
	interval      time.Duration
	warmup        time.Duration
	duration      time.Duration
	latency       time.Duration
	scrapeTimeout time.Duration
	minInterval   string
}

func main() {
	simfarm.MaybeChild()
	var o options
	flag.StringVar(&o.exporter, "exporter", ".build/chap_exporter", "chap_exporter binary to measure")
	flag.StringVar(&o.exporterFlags, "exporter-flags", "", "extra flags for the exporter, space-separated")
	flag.IntVar(&o.targets, "targets", 1000, "number of targets, each its own simulated DHIS2")
	flag.IntVar(&o.scrapers, "scrapers", 2, "scrapers (Prometheus replicas) per target")
	flag.DurationVar(&o.interval, "interval", 15*time.Second, "scrape interval")
	flag.DurationVar(&o.warmup, "warmup", 15*time.Second, "scraping before the measurement starts")
	flag.DurationVar(&o.duration, "duration", 2*time.Minute, "measured scraping time")
	flag.DurationVar(&o.latency, "latency", 20*time.Millisecond, "simulated DHIS2 latency per request")
	flag.DurationVar(&o.scrapeTimeout, "scrape-timeout", 10*time.Second, "scrape timeout the scrapers announce")
	flag.StringVar(&o.minInterval, "min-interval", "", "min_interval for every target (empty: not set)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

// scrape is what one scraper saw on one /probe request.
type scrape struct {
	wall    time.Duration
	age     float64 // probe_result_age_seconds; 0 when the chain ran for this scrape or absent
	success bool
	err     bool
	reasons []string // chap_check_failure_info labels, for failed probes
	slowest string   // the check that took longest, with its duration
	probe   float64  // probe_duration_seconds
}

func run(o options) error {
	sims, err := simfarm.Spawn(o.targets, o.latency)
	if err != nil {
		return err
	}
	defer sims.Close()
	exporter, err := startExporter(o, sims)
	if err != nil {
		return err
	}
	defer exporter.stop()

	start := time.Now()
	w := window{start: start, from: start.Add(o.warmup)}
	w.to = w.from.Add(o.duration)
	ctx, cancel := context.WithDeadline(context.Background(), w.to)
	defer cancel()
	scrapers := startScrapers(ctx, o, exporter.base, w)
	u, err := measureUsage(exporter.cmd.Process.Pid, sims, w)
	if err != nil {
		return err
	}
	scrapes := scrapers.wait()
	stats1, err := sims.Stats(context.Background(), w.from, w.to)
	if err != nil {
		return err
	}
	report(o, scrapes, u, stats1)
	return nil
}

// exporterProcess is the chap_exporter binary under measurement.
type exporterProcess struct {
	cmd  *exec.Cmd // nil until started
	base string    // http://ADDR
	dir  string    // holds its configuration
}

// startExporter writes a configuration for the simulators into a temporary
// directory, starts the exporter on a free port and waits until it is ready.
func startExporter(o options, sims *simfarm.Child) (*exporterProcess, error) {
	dir, err := os.MkdirTemp("", "chap-scale-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	e := &exporterProcess{dir: dir}
	if err := e.start(o, sims); err != nil {
		e.stop()
		return nil, err
	}
	return e, nil
}

func (e *exporterProcess) start(o options, sims *simfarm.Child) error {
	configFile, err := writeConfig(e.dir, sims, o)
	if err != nil {
		return err
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	args := []string{"--config.file=" + configFile, "--web.listen-address=" + addr, "--log.level=warn"}
	args = append(args, strings.Fields(o.exporterFlags)...)
	cmd := exec.Command(o.exporter, args...)
	cmd.Env = append(os.Environ(), "SIM_TOKEN="+dhis2sim.DefaultToken)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting exporter: %w", err)
	}
	e.cmd, e.base = cmd, "http://"+addr
	return waitReady(e.base)
}

// stop interrupts the exporter, waits for it and removes its configuration.
func (e *exporterProcess) stop() {
	if e.cmd != nil {
		_ = e.cmd.Process.Signal(os.Interrupt)
		_ = e.cmd.Wait()
	}
	os.RemoveAll(e.dir)
}

// window is the run's timeline: scraping begins at start, and the scrapes
// scheduled after from that finish before to are measured.
type window struct{ start, from, to time.Time }

// scraperPool is every scraper of every target and the scrapes they measured.
type scraperPool struct {
	wg      sync.WaitGroup
	mu      sync.Mutex
	scrapes []scrape
}

// startScrapers starts o.scrapers scrapers per target, each at its own
// random offset within the interval, that scrape until ctx ends.
func startScrapers(ctx context.Context, o options, base string, w window) *scraperPool {
	client := &http.Client{
		Timeout:   o.scrapeTimeout + time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: o.targets * o.scrapers, IdleConnTimeout: 2 * o.interval},
	}
	pool := &scraperPool{}
	for range o.scrapers {
		for t := range o.targets {
			offset := time.Duration(rand.Int64N(int64(o.interval)))
			pool.wg.Go(func() { pool.scrapeEvery(ctx, client, base, t, o, w, w.start.Add(offset)) })
		}
	}
	return pool
}

// scrapeEvery scrapes target every o.interval from next on until ctx ends,
// keeping the scrapes that fall within the window.
func (p *scraperPool) scrapeEvery(ctx context.Context, client *http.Client, base string, target int, o options, w window, next time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(next)):
		}
		sc := doScrape(ctx, client, base, target, o.scrapeTimeout)
		if next.After(w.from) && time.Now().Before(w.to) {
			p.mu.Lock()
			p.scrapes = append(p.scrapes, sc)
			p.mu.Unlock()
		}
		next = next.Add(o.interval)
	}
}

// wait waits for every scraper to stop and returns the measured scrapes.
func (p *scraperPool) wait() []scrape {
	p.wg.Wait()
	return p.scrapes
}

// usage is what the measured window cost the exporter and the simulators.
type usage struct {
	cpu, simCPU, elapsed time.Duration
	peak                 int64          // the exporter's peak RSS in bytes
	stats0               *simfarm.Stats // the simulators' counters at the window's start
}

// measureUsage waits for the window, reading CPU times and the simulators'
// counters at its start and CPU times and the exporter's peak RSS at its end.
func measureUsage(pid int, sims *simfarm.Child, w window) (usage, error) {
	time.Sleep(time.Until(w.from))
	cpu0, err := cpuTime(pid)
	if err != nil {
		return usage{}, err
	}
	simCPU0, _ := cpuTime(sims.Pid())
	stats0, err := sims.Stats(context.Background(), w.from, w.to)
	if err != nil {
		return usage{}, err
	}
	time.Sleep(time.Until(w.to))
	cpu1, err := cpuTime(pid)
	if err != nil {
		return usage{}, err
	}
	simCPU1, _ := cpuTime(sims.Pid())
	elapsed := time.Since(w.from)
	peak, err := peakRSS(pid)
	if err != nil {
		return usage{}, err
	}
	return usage{cpu: cpu1 - cpu0, simCPU: simCPU1 - simCPU0, elapsed: elapsed, peak: peak, stats0: stats0}, nil
}

// scrapeSummary sorts the measured scrapes by what happened to them.
type scrapeSummary struct {
	fresh   []time.Duration // wall time minus the critical path, where the chain ran
	cached  []time.Duration // wall time, where min_interval's cache answered
	failed  int             // probe_success 0
	errs    int             // the scrape itself failed
	reasons map[string]int  // failed checks by their chap_check_failure_info labels
}

// summarise sorts scrapes, subtracting critical from the wall time of those
// where the chain ran.
func summarise(scrapes []scrape, critical time.Duration) scrapeSummary {
	sum := scrapeSummary{reasons: map[string]int{}}
	for _, sc := range scrapes {
		for _, r := range sc.reasons {
			sum.reasons[r]++
		}
		switch {
		case sc.err:
			sum.errs++
			continue
		case !sc.success:
			sum.failed++
		}
		if sc.age > 0 {
			sum.cached = append(sum.cached, sc.wall)
		} else {
			sum.fresh = append(sum.fresh, sc.wall-critical)
		}
	}
	return sum
}

// requestsPerInterval is, sorted, the requests each simulated DHIS2 received
// per scrape interval, with their mean and the connections opened in the window.
func requestsPerInterval(stats0, stats1 *simfarm.Stats, intervals float64) (perTarget []float64, mean float64, conns int) {
	perTarget = make([]float64, len(stats1.Requests))
	for i, n := range stats1.Requests {
		perTarget[i] = float64(n) / intervals
		conns += stats1.Connections[i] - stats0.Connections[i]
	}
	slices.Sort(perTarget)
	for _, v := range perTarget {
		mean += v
	}
	mean /= float64(len(perTarget))
	return perTarget, mean, conns
}

// report prints the run's settings and figures.
func report(o options, scrapes []scrape, u usage, stats1 *simfarm.Stats) {
	critical := criticalPathRequests * o.latency
	sum := summarise(scrapes, critical)
	intervals := float64(o.duration) / float64(o.interval)
	perTarget, mean, conns := requestsPerInterval(u.stats0, stats1, intervals)
	cores := runtime.NumCPU()
	minInterval := o.minInterval
	if minInterval == "" {
		minInterval = "off"
	}
	fmt.Printf("targets=%d scrapers=%d interval=%s measured=%s (after %s warm-up) latency=%s critical_path=%s min_interval=%s exporter_flags=%q\n",
		o.targets, o.scrapers, o.interval, o.duration, o.warmup, o.latency, critical, minInterval, o.exporterFlags)
	fmt.Printf("scrapes measured: %d (probe_success=0: %d, scrape errors: %d); chain ran: %d, served cached: %d\n",
		len(scrapes), sum.failed, sum.errs, len(sum.fresh), len(sum.cached))
	for _, r := range slices.Sorted(maps.Keys(sum.reasons)) {
		fmt.Printf("  failed check %s: %d scrapes\n", r, sum.reasons[r])
	}
	slices.SortFunc(scrapes, func(a, b scrape) int { return int(b.wall - a.wall) })
	for _, sc := range scrapes[:min(5, len(scrapes))] {
		fmt.Printf("  slow scrape: wall %s, probe_duration_seconds %.3f, slowest check %s\n", sc.wall.Round(time.Millisecond), sc.probe, sc.slowest)
	}
	fmt.Printf("exporter CPU: %.1f%% of one core, %.1f%% of the machine (%d cores); simulators: %.1f%% of one core\n",
		100*u.cpu.Seconds()/u.elapsed.Seconds(), 100*u.cpu.Seconds()/u.elapsed.Seconds()/float64(cores), cores, 100*u.simCPU.Seconds()/u.elapsed.Seconds())
	fmt.Printf("exporter peak RSS: %.1f MiB\n", float64(u.peak)/(1<<20))
	fmt.Printf("scrape wall time minus critical path, chain ran: p50 %s p99 %s max %s\n",
		pct(sum.fresh, 50), pct(sum.fresh, 99), pct(sum.fresh, 100))
	if len(sum.cached) > 0 {
		fmt.Printf("scrape wall time, served cached: p50 %s p99 %s\n", pct(sum.cached, 50), pct(sum.cached, 99))
	}
	fmt.Printf("requests each DHIS2 received per %s interval: mean %.2f min %.2f max %.2f; new connections in the window: %d (%.3f per target per interval)\n",
		o.interval, mean, perTarget[0], perTarget[len(perTarget)-1], conns, float64(conns)/float64(o.targets)/intervals)
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := (len(ds) - 1) * p / 100
	return ds[i].Round(100 * time.Microsecond)
}

func doScrape(ctx context.Context, client *http.Client, base string, target int, timeout time.Duration) scrape {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/probe?target=%s", base, targetName(target)), nil)
	if err != nil {
		return scrape{err: true}
	}
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64))
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return scrape{err: true}
	}
	defer resp.Body.Close()
	sc := scrape{}
	sc.err = resp.StatusCode != http.StatusOK
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		name, value, ok := strings.Cut(lines.Text(), " ")
		if !ok {
			continue
		}
		switch name {
		case "probe_success":
			sc.success = value == "1"
		case "probe_result_age_seconds":
			sc.age, _ = strconv.ParseFloat(value, 64)
		}
		if name == "probe_duration_seconds" {
			sc.probe, _ = strconv.ParseFloat(value, 64)
		}
		if labels, ok := strings.CutPrefix(name, "chap_check_duration_seconds"); ok {
			if d, _ := strconv.ParseFloat(value, 64); sc.slowest == "" || d > slowestSeconds(sc.slowest) {
				sc.slowest = labels + " " + value
			}
		}
		if labels, ok := strings.CutPrefix(name, "chap_check_failure_info"); ok {
			sc.reasons = append(sc.reasons, labels)
		}
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	sc.wall = time.Since(start)
	if lines.Err() != nil {
		sc.err = true
	}
	return sc
}

func slowestSeconds(s string) float64 {
	_, v, _ := strings.Cut(s, " ")
	d, _ := strconv.ParseFloat(v, 64)
	return d
}

func targetName(i int) string { return fmt.Sprintf("t%04d", i) }

func writeConfig(dir string, sims *simfarm.Child, o options) (string, error) {
	ca := filepath.Join(dir, "ca.pem")
	if err := sims.WriteCA(ca); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("targets:\n")
	for i, u := range sims.URLs {
		fmt.Fprintf(&b, "  %s:\n    url: %s\n    auth: {token_env: SIM_TOKEN}\n    tls_config: {ca_file: %s}\n", targetName(i), u, ca)
		if o.minInterval != "" {
			fmt.Fprintf(&b, "    min_interval: %s\n", o.minInterval)
		}
	}
	path := filepath.Join(dir, "chap.yml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return "", fmt.Errorf("writing config: %w", err)
	}
	return path, nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitReady(base string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("exporter not ready after 30s")
}

// cpuTime reads a process's user + system CPU time from /proc/PID/stat
// (fields 14 and 15, in clock ticks of 1/100 s on Linux).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading CPU time: %w", err)
	}
	// The command name (field 2) may hold spaces; fields restart after ")".
	_, rest, _ := strings.Cut(string(b), ") ")
	fields := strings.Fields(rest)
	if len(fields) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("parsing /proc/%d/stat: %w", pid, err)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// peakRSS reads VmHWM, the peak resident set size, from /proc/PID/status.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("reading peak RSS: %w", err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parsing VmHWM: %w", err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}
