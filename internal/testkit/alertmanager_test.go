package testkit

import "testing"

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

func TestHasWebhookURLFile(t *testing.T) {
	for v, want := range map[[3]int]bool{{0, 25, 0}: false, {0, 26, 0}: true, {0, 35, 0}: true, {1, 0, 0}: true} {
		if got := HasWebhookURLFile(v); got != want {
			t.Errorf("HasWebhookURLFile(%v) = %v, want %v", v, got, want)
		}
	}
}
