package testkit

import (
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
)

// versionLine matches the first line of `--version` of Prometheus's tools, e.g.
// "alertmanager, version 0.25.0 (branch: ...".
var versionLine = regexp.MustCompile(`(?m)^\S+, version (\d+)\.(\d+)\.(\d+)`)

// ToolVersion runs `bin --version` and returns its major, minor and patch version. It
// logs the version and path, so that every run says which tools it tested. A missing
// bin skips or fails the test as RequireTool does.
func ToolVersion(t testing.TB, bin string) [3]int {
	t.Helper()
	path := RequireTool(t, bin)
	out, err := exec.Command(path, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --version: %v\n%s", bin, err, out)
	}
	m := versionLine.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("%s --version: no version in %q", bin, out)
	}
	var v [3]int
	for i := range v {
		v[i], _ = strconv.Atoi(m[i+1])
	}
	t.Logf("%s %d.%d.%d (%s)", bin, v[0], v[1], v[2], path)
	return v
}

// HasWebhookURLFile reports whether an Alertmanager (or amtool) of version v accepts
// url_file in a webhook_config: 0.26 and later.
func HasWebhookURLFile(v [3]int) bool {
	return v[0] > 0 || v[1] >= 26
}

// webhookURLFile matches a webhook url_file line, keeping its indentation
// and "- ", and the file's path.
var webhookURLFile = regexp.MustCompile(`(?m)^(\s*-?\s*)url_file: (\S+)$`)

// ForAlertmanager025 makes the change alerting/alertmanager.yml documents for
// Alertmanager 0.25, which has no webhook url_file: the url_file line becomes
// `url: <url>`. It fails unless there is exactly one.
func ForAlertmanager025(config, url string) (string, error) {
	if n := len(webhookURLFile.FindAllString(config, -1)); n != 1 {
		return "", fmt.Errorf("%d webhook url_file lines, want 1", n)
	}
	return InlineURLFiles(config, func(string) (string, error) { return url, nil })
}

// InlineURLFiles makes the same change for every webhook url_file of config,
// with the URL urlOf returns for the file's path.
func InlineURLFiles(config string, urlOf func(path string) (string, error)) (string, error) {
	var firstErr error
	out := webhookURLFile.ReplaceAllStringFunc(config, func(line string) string {
		m := webhookURLFile.FindStringSubmatch(line)
		url, err := urlOf(m[2])
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("url_file %s: %w", m[2], err)
		}
		return m[1] + "url: " + url
	})
	return out, firstErr
}
