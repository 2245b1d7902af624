package dashboard

import "testing"

// TestPrintable: text from a server is cut to a number of characters and
// shows nothing that would act on the page instead of showing.
func TestPrintable(t *testing.T) {
	tests := []struct {
		in        string
		limit     int
		keepLines bool
		want      string
	}{
		{"chap-core 1.2", 20, false, "chap-core 1.2"},
		{"dépôt ready", 5, false, "dépôt…"},
		{"a\x1b[2Jb\u202ec", 20, false, "a [2Jb c"},
		{"line\n\tnext", 20, false, "line  next"},
		{"line\n\tnext", 20, true, "line\n\tnext"},
		{"bad \xff byte", 20, false, "bad \uFFFD byte"},
	}
	for _, tt := range tests {
		if got := printable(tt.in, tt.limit, tt.keepLines); got != tt.want {
			t.Errorf("printable(%q, %d, %t) = %q, want %q", tt.in, tt.limit, tt.keepLines, got, tt.want)
		}
	}
}
