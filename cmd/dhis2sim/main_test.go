package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestRunListsScenarios(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"--list-scenarios"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"healthy ", "chap-core-v1.1 ", "not-dhis2 "} {
		if !strings.Contains(out.String(), name) {
			t.Errorf("list lacks %q:\n%s", name, out.String())
		}
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	t.Setenv("DHIS2SIM_EMPTY", "")
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--fault", "mee:status=500"}, `unknown endpoint "mee"`},
		{[]string{"--fault", "me:stat=500"}, `unknown key "stat"`},
		{[]string{"--scenario", "nope"}, `unknown scenario "nope"`},
		{[]string{"--password-env", "DHIS2SIM_EMPTY"}, "DHIS2SIM_EMPTY"},
		{[]string{"--tls.cert-file", "main.go"}, "go together"},
		{[]string{"--latency", "soon"}, "soon"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			err := run(t.Context(), append(tt.args, "--web.listen-address", "127.0.0.1:0"), &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestRunShutsDownGracefully(t *testing.T) {
	t.Setenv("DHIS2SIM_TOKEN", "d2pat_test")
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	args := []string{"--web.listen-address", "127.0.0.1:0", "--token-env", "DHIS2SIM_TOKEN", "--scenario", "slow", "--fault", "me:status=500"}
	if err := run(ctx, args, &bytes.Buffer{}); err != nil {
		t.Errorf("run after cancel: %v", err)
	}
}
