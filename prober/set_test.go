package prober_test

import (
	"testing"

	"github.com/dhis2-chap/chap_exporter/config"
	"github.com/dhis2-chap/chap_exporter/prober"
)

// TestNewSet: one prober per configured target, each probing its own
// target; a target that cannot be built fails the whole set.
func TestNewSet(t *testing.T) {
	cfg, err := config.Parse([]byte("targets:\n  b:\n    url: http://127.0.0.1:1\n  a:\n    kind: ocs\n    url: http://127.0.0.1:2\n"), "chap.yml", prober.KindsOf)
	if err != nil {
		t.Fatal(err)
	}
	set, err := prober.NewSet(cfg, prober.NewHostLimiter(1), prober.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	if len(set) != 2 {
		t.Errorf("%d probers for 2 targets", len(set))
	}
	for name, target := range cfg.Targets {
		if p := set[name]; p == nil || p.Target() != target {
			t.Errorf("target %q: prober %v does not probe it", name, p)
		}
	}

	set, err = prober.NewSet(cfg, nil, prober.Options{})
	if want := `target "a": no host limiter`; set != nil || err == nil || err.Error() != want {
		t.Errorf("NewSet without a host limiter = %v, %v; want the first target's error %q", set, err, want)
	}
}
