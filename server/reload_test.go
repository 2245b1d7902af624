package server_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dhis2-chap/chap_exporter/internal/testkit"
	"github.com/dhis2-chap/chap_exporter/server"
)

// TestReloadWhileProbing reloads over and over (through /-/reload and
// Reload, the SIGHUP path) between two configurations and a broken file
// while probes run, and checks every probe answer came from one whole
// configuration. Run with -race, it also checks the swap for data races.
func TestReloadWhileProbing(t *testing.T) {
	f := newFixture(t)
	// The two configurations differ in the budget and the checks of the
	// same target, so an answer mixing them would show.
	configA := testkit.ReadExpanded(t, "testdata/reload-a.yml", map[string]string{"SIM_URL": f.simURL})
	configB := testkit.ReadExpanded(t, "testdata/reload-b.yml", map[string]string{"SIM_URL": f.simURL})
	const broken = "targets:\n  t:\n    url: ftp://nope\n"
	shapeOf := func(body string) string {
		a := strings.Contains(body, "probe_timeout_seconds 7\n") && !strings.Contains(body, `check="dhis2_system_info"`)
		b := strings.Contains(body, "probe_timeout_seconds 3\n") && strings.Contains(body, `check="dhis2_system_info"`)
		switch {
		case a && !b:
			return "A"
		case b && !a:
			return "B"
		}
		return "mixed"
	}
	f.writeConfig(t, configA)
	if _, err := f.srv.Reload(); err != nil {
		t.Fatal(err)
	}

	const reloads = 32 // a multiple of 4: the last good configuration is A
	var done atomic.Bool
	var wg sync.WaitGroup
	var seen sync.Map // shape → count
	for range 4 {
		wg.Go(func() {
			for n := 0; n < 5 || !done.Load(); n++ {
				resp, err := http.Get(f.exporter.URL + "/probe?target=t")
				if err != nil {
					t.Errorf("probe: %v", err)
					return
				}
				body := readAll(resp)
				shape := shapeOf(body)
				if resp.StatusCode != 200 || shape == "mixed" || !strings.Contains(body, "\nprobe_success 1\n") {
					t.Errorf("probe during reloads = %d, %s config:\n%s", resp.StatusCode, shape, body)
					return
				}
				v, _ := seen.LoadOrStore(shape, new(atomic.Int64))
				v.(*atomic.Int64).Add(1)
			}
		})
	}
	wg.Go(func() {
		defer done.Store(true)
		for i := range reloads {
			next := []string{configB, broken, configA, broken}[i%4]
			f.writeConfig(t, next)
			var err error
			if i%2 == 0 {
				_, err = f.srv.Reload()
			} else {
				resp, postErr := http.Post(f.exporter.URL+"/-/reload", "", nil)
				if postErr != nil {
					t.Errorf("reload: %v", postErr)
					return
				}
				if body := readAll(resp); resp.StatusCode != 200 {
					err = errors.New(body)
				}
			}
			if (next == broken) != (err != nil && !errors.Is(err, server.ErrUnchanged)) {
				t.Errorf("reload %d of %s config: err = %v", i, map[bool]string{true: "a broken", false: "a good"}[next == broken], err)
			}
		}
	})
	wg.Wait()
	seen.Range(func(k, v any) bool {
		t.Logf("answers from config %s: %d", k, v.(*atomic.Int64).Load())
		return true
	})

	// The last good configuration is A: B's target is gone, A's answers.
	if code, _ := f.get(t, "/probe?target=only_b"); code != 400 {
		t.Errorf("target removed by the reload answered %d, want 400", code)
	}
	if code, body := f.get(t, "/probe?target=only_a"); code != 200 || !strings.Contains(body, "\nprobe_success 1\n") {
		t.Errorf("target added by the reload answered %d:\n%s", code, body)
	}
}
