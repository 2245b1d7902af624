package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/config"
	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
	"github.com/dhis2-chap/chap_exporter/internal/simfarm"
	"github.com/dhis2-chap/chap_exporter/prober"
)

func TestMain(m *testing.M) {
	simfarm.MaybeChild()
	os.Exit(m.Run())
}

// writeConfig writes a one-target configuration for the simulator at url,
// over TLS with the CA certificate that writeCA writes, and returns the
// file's path.
func writeConfig(b *testing.B, url string, writeCA func(path string) error) string {
	b.Helper()
	dir := b.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := writeCA(ca); err != nil {
		b.Fatal(err)
	}
	b.Setenv("SIM_TOKEN", dhis2sim.DefaultToken)
	path := filepath.Join(dir, "chap.yml")
	content := fmt.Sprintf("targets:\n  sim:\n    url: %s\n    auth: {token_env: SIM_TOKEN}\n    tls_config: {ca_file: %s}\n", url, ca)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

// newProber loads the configuration at path and builds the prober of its
// target, with the default per-host request limit.
func newProber(b *testing.B, path string) *prober.Prober {
	b.Helper()
	cfg, err := config.Load(path, prober.KindsOf)
	if err != nil {
		b.Fatal(err)
	}
	p, err := prober.New(cfg.Targets["sim"], prober.NewHostLimiter(prober.DefaultMaxRequestsPerHost), prober.Options{UserAgent: "chap_exporter/bench"})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// cpuTime is the user plus system CPU time this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
