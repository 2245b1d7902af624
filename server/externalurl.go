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
		// No userinfo: the URL becomes a label of chap_exporter_web_external_url_info.
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return "", fmt.Errorf("--web.external-url %s is not an absolute http or https URL without user, password or query, like https://chap-exporter.example.org", redactedFlag(flag, u, err))
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

// redactedFlag is the flag's value for an error message, with any password
// hidden.
func redactedFlag(flag string, u *url.URL, parseErr error) string {
	if parseErr != nil || u.User == nil {
		return fmt.Sprintf("%q", flag)
	}
	return fmt.Sprintf("%q", u.Redacted())
}
