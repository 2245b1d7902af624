package server

import (
	"testing"
	"time"
)

func TestProbeTimeout(t *testing.T) {
	const offset = 500 * time.Millisecond
	tests := []struct {
		name   string
		target time.Duration
		header string
		want   time.Duration
	}{
		{"no header: target timeout", 10 * time.Second, "", 10 * time.Second},
		{"scrape timeout shorter: header minus offset", 10 * time.Second, "5", 4500 * time.Millisecond},
		{"fractional header", 10 * time.Second, "2.5", 2 * time.Second},
		{"scrape timeout longer: target timeout", 3 * time.Second, "10", 3 * time.Second},
		{"header equal to target plus offset", 3 * time.Second, "3.5", 3 * time.Second},
		{"header not above offset: header as is", 10 * time.Second, "0.4", 400 * time.Millisecond},
		{"garbage header ignored", 10 * time.Second, "soon", 10 * time.Second},
		{"negative header ignored", 10 * time.Second, "-3", 10 * time.Second},
		{"zero header ignored", 10 * time.Second, "0", 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := probeTimeout(tt.target, tt.header, offset); got != tt.want {
				t.Errorf("probeTimeout(%s, %q) = %s, want %s", tt.target, tt.header, got, tt.want)
			}
		})
	}
}
