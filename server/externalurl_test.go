package server_test

import (
	"os"
	"strings"
	"testing"

	"github.com/dhis2-chap/chap_exporter/server"
)

func TestExternalURL(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		flag    string
		listen  []string
		want    string
		wantErr bool
	}{
		{"https://chap-exporter.example.org/", nil, "https://chap-exporter.example.org", false},
		{"https://example.org/chap/", []string{":9977"}, "https://example.org/chap", false},
		{"", []string{"127.0.0.1:19977", ":1"}, "http://" + host + ":19977", false},
		{"", []string{":9977"}, "http://" + host + ":9977", false},
		{"", nil, "http://" + host + ":9977", false},
		{"chap-exporter.example.org:9977", nil, "", true},
		{"/chap", nil, "", true},
		{"ftp://example.org", nil, "", true},
		{"https://example.org/?x=1", nil, "", true},
		{"https://user:hunter2@example.org/", nil, "", true},
		{"https://user@example.org/", nil, "", true},
	}
	for _, tt := range tests {
		got, err := server.ExternalURL(tt.flag, tt.listen)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ExternalURL(%q, %v) = %q, %v; want %q, error %v", tt.flag, tt.listen, got, err, tt.want, tt.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ExternalURL(%q) error shows the password: %v", tt.flag, err)
		}
	}
}
