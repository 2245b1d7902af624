package prober

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/config"
)

// TestPanicBecomesErrorWithoutSecrets runs a check that panics with the
// credential in its value: the probe survives, reports error/panic, and the
// message hides the secret.
func TestPanicBecomesErrorWithoutSecrets(t *testing.T) {
	t.Setenv("PANIC_TOKEN", "d2pat_panic-canary")
	cfg, err := config.Parse([]byte("targets:\n  t:\n    url: http://127.0.0.1:1\n    auth: {token_env: PANIC_TOKEN}\n    checks: [dhis2_ping]\n"), "chap.yml", KindsOf)
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(cfg.Targets["t"], NewHostLimiter(DefaultMaxRequestsPerHost), Options{})
	if err != nil {
		t.Fatal(err)
	}
	boom := &registration{name: "boom", check: CheckFunc(func(context.Context, *Session) Result {
		panic("header was ApiToken d2pat_panic-canary")
	})}
	after := &registration{name: "after_boom", requires: []string{"boom"}, check: CheckFunc(func(context.Context, *Session) Result {
		return OK("must not run")
	})}
	p.checks = []*registration{boom, after}
	p.requires = [][]int{nil, {0}}

	r := p.Probe(context.Background(), time.Second)
	if got := r.Checks[0]; got.Status != StatusError || got.Reason != ReasonPanic {
		t.Errorf("boom = %s/%s, want error/panic", got.Status, got.Reason)
	}
	if strings.Contains(r.Checks[0].Message, "panic-canary") || !strings.Contains(r.Checks[0].Message, "<secret>") {
		t.Errorf("message %q should hide the token", r.Checks[0].Message)
	}
	if r.Checks[1].Status != StatusSkipped {
		t.Errorf("after_boom = %s, want skipped", r.Checks[1].Status)
	}
}
