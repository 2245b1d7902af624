package prober

import "testing"

func TestPrintable(t *testing.T) {
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"plain", "0.1.0", 10, "0.1.0"},
		{"terminal escape", "1.0\x1b[2J\x1b]0;pwned\x07", 40, "1.0?[2J?]0;pwned?"},
		{"newline cannot fake a line", "ok\nfake: line", 40, "ok?fake: line"},
		{"invalid UTF-8", "a\xffb", 10, "a?b"},
		{"cut at the bound", "abcdefghij", 5, "abcde…"},
		{"cut at a rune boundary", "ééé", 5, "éé…"},
		{"exactly the bound", "abcde", 5, "abcde"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := printable(tt.in, tt.max); got != tt.want {
				t.Errorf("printable(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}
