package prober_test

import (
	"testing"

	"github.com/dhis2-chap/chap_exporter/prober"
)

// TestOutcome: a result reads as its status with the reason, when it has one.
func TestOutcome(t *testing.T) {
	tests := []struct {
		r    prober.Result
		want string
	}{
		{prober.OK("fine"), "ok"},
		{prober.Fail(prober.ReasonTimeout, "slow"), "fail (timeout)"},
		{prober.Warn(prober.ReasonNoVersion, "no version"), "warn (no_version)"},
	}
	for _, tt := range tests {
		if got := tt.r.Outcome(); got != tt.want {
			t.Errorf("%+v.Outcome() = %q, want %q", tt.r, got, tt.want)
		}
	}
}

// TestFailing: fail and error are problems; a warning or a skip is not.
func TestFailing(t *testing.T) {
	want := map[prober.Status]bool{prober.StatusFail: true, prober.StatusError: true}
	for _, s := range prober.Statuses {
		if got := s.Failing(); got != want[s] {
			t.Errorf("%s.Failing() = %t, want %t", s, got, want[s])
		}
	}
}
