package testkit

import (
	"errors"
	"strings"
	"testing"
)

func TestForAlertmanager025(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{"list item", "    webhook_configs:\n      - url_file: /etc/x\n        send_resolved: true\n",
			"    webhook_configs:\n      - url: http://127.0.0.1:9/hook\n        send_resolved: true\n", false},
		{"api_url_file is Slack's, left alone", "      - api_url_file: /etc/s\n", "", true},
		{"none", "receivers: []\n", "", true},
		{"two", "  - url_file: /a\n  - url_file: /b\n", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ForAlertmanager025(tt.in, "http://127.0.0.1:9/hook")
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ForAlertmanager025() = %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestInlineURLFiles(t *testing.T) {
	files := map[string]string{"/s/a": "http://a.example/hook", "/s/b": "http://b.example/hook"}
	urlOf := func(path string) (string, error) {
		if url, ok := files[path]; ok {
			return url, nil
		}
		return "", errors.New("no such file")
	}
	got, err := InlineURLFiles("  - url_file: /s/a\n    send_resolved: true\n  - url_file: /s/b\n  - api_url_file: /s/c\n", urlOf)
	want := "  - url: http://a.example/hook\n    send_resolved: true\n  - url: http://b.example/hook\n  - api_url_file: /s/c\n"
	if err != nil || got != want {
		t.Errorf("InlineURLFiles() = %q, %v; want %q", got, err, want)
	}
	if _, err := InlineURLFiles("  - url_file: /s/missing\n", urlOf); err == nil || !strings.Contains(err.Error(), "/s/missing") {
		t.Errorf("InlineURLFiles() with an unreadable file: error %v, want one naming /s/missing", err)
	}
}

func TestHasWebhookURLFile(t *testing.T) {
	for v, want := range map[[3]int]bool{{0, 25, 0}: false, {0, 26, 0}: true, {0, 35, 0}: true, {1, 0, 0}: true} {
		if got := HasWebhookURLFile(v); got != want {
			t.Errorf("HasWebhookURLFile(%v) = %v, want %v", v, got, want)
		}
	}
}
