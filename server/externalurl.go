package server

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
)

// ExternalURL returns the URL people reach the exporter under: flag when
// set (it must be an absolute http or https URL), else, as Prometheus does,
// http://<hostname>:<port of the first listen address>. Links in alerts are
// built from it, so it never ends in a slash.
func ExternalURL(flag string, listenAddresses []string) (string, error) {
	if flag != "" {
		u, err := url.Parse(flag)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return "", fmt.Errorf("--web.external-url %q is not an absolute http or https URL without query, like https://chap-exporter.example.org", flag)
		}
		return strings.TrimRight(u.String(), "/"), nil
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	port := "9977"
	if len(listenAddresses) > 0 {
		if _, p, err := net.SplitHostPort(listenAddresses[0]); err == nil && p != "" {
			port = p
		}
	}
	return "http://" + net.JoinHostPort(host, port), nil
}
