package prober_test

import (
	"testing"
	"unicode/utf8"

	"github.com/dhis2-chap/chap_exporter/prober"
)

// TestTruncateKeepsCharactersWhole: text is cut to a limit in bytes (an
// echoed target name or header) or characters (the status page) at a
// character boundary, never inside one, and the cut is marked.
func TestTruncateKeepsCharactersWhole(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		m    prober.Measure
		want string
	}{
		{"prod", 8, prober.Bytes, "prod"},
		{"abcdef", 3, prober.Bytes, "abc…"},
		{"aé", 2, prober.Bytes, "a…"}, // é is two bytes: cutting at 2 would split it
		{"日本", 4, prober.Bytes, "日…"},
		{"prod", 4, prober.Characters, "prod"},
		{"日本語", 2, prober.Characters, "日本…"},
		{"aé", 0, prober.Characters, "…"},
	}
	for _, tt := range tests {
		if got := prober.Truncate(tt.in, tt.n, tt.m); got != tt.want || !utf8.ValidString(got) {
			t.Errorf("Truncate(%q, %d, %d) = %q, want %q", tt.in, tt.n, tt.m, got, tt.want)
		}
	}
}
