package server_test

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/internal/dhis2sim"
)

var ageRE = regexp.MustCompile(`(?m)^probe_result_age_seconds (\S+)$`)

func resultAge(t *testing.T, body string) float64 {
	t.Helper()
	m := ageRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no probe_result_age_seconds in:\n%s", body)
	}
	age, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return age
}

func TestMinIntervalServesCachedResultsWithTheirAge(t *testing.T) {
	tests := []struct {
		name       string
		extra      string
		wantCached bool
	}{
		{"default: every scrape probes", "", false},
		{"min_interval: second scrape is cached", "    min_interval: 1h\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := dhis2sim.New(dhis2sim.Options{})
			f := fixtureFor(t, sim, "targets:\n  demo:\n    url: %[1]s\n    auth: {token: %[2]s}\n"+tt.extra, 0)
			_, first := f.get(t, "/probe?target=demo")
			_, second := f.get(t, "/probe?target=demo")
			_, debug := f.get(t, "/probe?target=demo&debug=true")

			if age := resultAge(t, first); age != 0 {
				t.Errorf("first scrape: age %g, want 0", age)
			}
			if age := resultAge(t, second); (age > 0) != tt.wantCached {
				t.Errorf("second scrape: age %g, want cached=%t", age, tt.wantCached)
			}
			if got := regexp.MustCompile("min_interval cache").MatchString(debug); got != tt.wantCached {
				t.Errorf("debug output mentions the cache: %t, want %t:\n%s", got, tt.wantCached, debug)
			}
			runs := 3
			if tt.wantCached {
				runs = 1
			}
			me := 0
			for _, r := range sim.Requests() {
				if r.Endpoint == dhis2sim.Me {
					me++
				}
			}
			if me != runs {
				t.Errorf("DHIS2 got /api/me %d times for 3 scrapes, want %d", me, runs)
			}
			// /metrics counts every scrape but observes each chain run once.
			_, metrics := f.get(t, "/metrics")
			for _, want := range []string{
				fmt.Sprintf(`chap_exporter_probe_duration_seconds_count{target="demo"} %d`, runs),
				`chap_exporter_probes_total{result="success",target="demo"} 3`,
			} {
				if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(want) + `$`).MatchString(metrics) {
					t.Errorf("/metrics lacks %s", want)
				}
			}
		})
	}
}

// TestRequestsPerHostLimitHoldsAcrossTargets scrapes three targets on one
// DHIS2 at once and checks, from the simulator's request log, that it never
// handled more requests at a time than the flag allows.
func TestRequestsPerHostLimitHoldsAcrossTargets(t *testing.T) {
	for _, limit := range []int{1, 3} {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			sim := dhis2sim.New(dhis2sim.Options{})
			sim.Update(func(st *dhis2sim.State) { st.Latency = 10 * time.Millisecond })
			config := "targets:\n"
			for _, name := range []string{"a", "b", "c"} {
				config += "  " + name + ":\n    url: %[1]s\n    auth: {token: %[2]s}\n"
			}
			f := fixtureFor(t, sim, config, limit)
			var wg sync.WaitGroup
			for _, name := range []string{"a", "b", "c"} {
				wg.Go(func() {
					// Not f.get: t.Fatal must not be called off the test goroutine.
					resp, err := http.Get(f.exporter.URL + "/probe?target=" + name)
					if err != nil {
						t.Error(err)
						return
					}
					defer resp.Body.Close()
					body, _ := io.ReadAll(resp.Body)
					if !regexp.MustCompile(`(?m)^probe_success 1$`).Match(body) {
						t.Errorf("target %s failed:\n%s", name, body)
					}
				})
			}
			wg.Wait()
			if peak := dhis2sim.MaxConcurrent(sim.Requests()); peak > limit || peak < 1 {
				t.Errorf("DHIS2 handled %d requests at once, limit %d", peak, limit)
			}
		})
	}
}
