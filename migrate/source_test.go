package migrate

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseRefusesWhatChapCheckerRefuses(t *testing.T) {
	const ok = "[instances.a]\nurl = \"https://a.example.org\"\ntoken_env = \"A\"\n"
	tests := []struct {
		name, toml, want string
	}{
		{"syntax", "[instances.a]\nurl = 'https://x\ntoken_env = 'A'\n",
			"f.toml:2: literal strings cannot have new lines"},
		{"wrong type", "[instances.a]\nurl = \"https://a.example.org\"\ntoken_env = \"A\"\ntimeout_s = \"ten\"\n",
			"f.toml:4: instances.a.timeout_s: is a TOML string; want a number"},
		{"list instead of string", "[instances.a]\nurl = [\"https://a\"]\n",
			"f.toml:2: instances.a.url: is a TOML array; want a string"},
		{"table twice", ok + "[instances.a]\n", "f.toml:4: instances.a: table a already exists"},
		{"no instances", "concurrency = 3\n", "f.toml: instances: no [instances.NAME] table; there is nothing to migrate"},
		{"unknown kind", "[instances.a]\nkind = \"chapkit\"\nurl = \"https://a\"\n",
			"f.toml:2: instances.a.kind: unknown kind (want dhis2 or ocs)"},
		{"missing url", "[instances.a]\ntoken_env = \"A\"\n", "f.toml:1: instances.a.url: is required"},
		{"bad scheme", "[instances.a]\nurl = \"ftp://a\"\ntoken_env = \"A\"\n",
			"f.toml:2: instances.a.url: scheme must be http or https"},
		{"credentials in url are not echoed", "[instances.a]\nurl = \"https://u:CANARY@a\"\ntoken_env = \"A\"\n",
			"f.toml:2: instances.a.url: has credentials in it; chap_exporter takes them only from username with password or token"},
		{"two auth modes", "[instances.a]\nurl = \"https://a\"\nusername = \"u\"\npassword = \"CANARY\"\ntoken_env = \"A\"\n",
			"f.toml:1: instances.a: give exactly one of password, password_env, token, token_env (found 2)"},
		{"no auth", "[instances.a]\nurl = \"https://a\"\n",
			"f.toml:1: instances.a: give exactly one of password, password_env, token, token_env (found 0)"},
		{"password without username", "[instances.a]\nurl = \"https://a\"\npassword_env = \"P\"\n",
			"f.toml:1: instances.a.username: is required with a password"},
		{"ocs with credentials", "[instances.o]\nkind = \"ocs\"\nurl = \"https://o\"\ntoken_env = \"T\"\n",
			"f.toml:1: instances.o: an ocs instance takes no credentials (username, password, password_env, token, token_env)"},
		{"dhis2 check on ocs", "[instances.o]\nkind = \"ocs\"\nurl = \"https://o\"\nchecks = [\"dhis2_ping\"]\n",
			"f.toml:4: instances.o.checks: check \"dhis2_ping\" does not apply to kind ocs (it has http_2xx, ocs_health, ocs_info)"},
		{"unknown check", ok + "checks = [\"dhis2_nope\"]\n",
			"f.toml:4: instances.a.checks: check \"dhis2_nope\" does not apply to kind dhis2 (it has http_2xx, dhis2_ping, dhis2_system_info, dhis2_chap_route, dhis2_chap_ping, dhis2_chap_system_info, dhis2_chap_modeling_app, dhis2_chap_climate_app)"},
		{"empty checks", ok + "checks = []\n", "f.toml:4: instances.a.checks: lists no check; leave it out to run every check"},
		{"timeout zero", ok + "timeout_s = 0\n", "f.toml:4: instances.a.timeout_s: must be greater than 0 and at most 3600"},
		{"timeout nan", ok + "timeout_s = nan\n", "f.toml:4: instances.a.timeout_s: must be greater than 0 and at most 3600"},
		{"undefined alerter", ok + "alerts = [\"pager\"]\n", "f.toml:4: instances.a.alerts: names \"pager\", which has no [alerts.pager] table"},
		{"slack without url", ok + "[alerts.slack]\nnotify_on = [\"fail\"]\n", "f.toml:4: alerts.slack: needs webhook_url or webhook_url_env"},
		{"alerter without url", ok + "[alerts.x]\n", "f.toml:4: alerts.x: needs webhook_url or webhook_url_env (Slack), or url or url_env (webhook)"},
		{"both url kinds", ok + "[alerts.x]\nurl_env = \"U\"\nwebhook_url_env = \"W\"\n",
			"f.toml:4: alerts.x: has both Slack (webhook_url, webhook_url_env) and webhook (url, url_env) keys"},
		{"url twice", ok + "[alerts.x]\nurl_env = \"U\"\nurl = \"https://CANARY\"\n", "f.toml:4: alerts.x: give url or url_env, not both"},
		{"bad notify_on", ok + "[alerts.x]\nurl_env = \"U\"\nnotify_on = [\"ok\"]\n",
			"f.toml:6: alerts.x.notify_on: unknown status \"ok\" (want fail, error or warn)"},
		{"headers on slack", ok + "[alerts.s]\nwebhook_url_env = \"W\"\nheaders = { A = \"CANARY\" }\n",
			"f.toml:6: alerts.s.headers: applies to webhooks only"},
		{"secret in an env key is not echoed", "[instances.a]\nurl = \"https://a\"\ntoken_env = \"CANARY d2pat\"\n",
			"f.toml:3: instances.a.token_env: is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)"},
		{"url env key", ok + "[alerts.x]\nurl_env = \"https://CANARY\"\n",
			"f.toml:5: alerts.x.url_env: is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)"},
		{"quoted keys", "[instances.\"a b\"]\nurl = \"https://a\"\n",
			"f.toml:1: instances.\"a b\": give exactly one of password, password_env, token, token_env (found 0)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.toml), "f.toml")
			if err == nil {
				t.Fatalf("Parse accepted:\n%s", tt.toml)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", got, tt.want)
			}
			if strings.Contains(err.Error(), "CANARY") {
				t.Errorf("error shows a secret value: %s", err)
			}
		})
	}
}

func TestParseKeepsUnknownKeysAsNotCarried(t *testing.T) {
	src, err := Load("testdata/unknown-keys.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"colour (line 1)", "instances.a.shiny (line 5)", "instances.a.extra (line 6)", "plugins (line 8)"}
	if strings.Join(src.unknown, "|") != strings.Join(want, "|") {
		t.Errorf("unknown keys\n got: %q\nwant: %q", src.unknown, want)
	}
}

func TestParseDefaults(t *testing.T) {
	src, err := Parse([]byte("[instances.a]\nurl = \"https://a\"\ntoken_env = \"A\"\n[alerts.s]\nwebhook_url_env = \"W\"\n"), "f.toml")
	if err != nil {
		t.Fatal(err)
	}
	if got := src.Instances["a"].Kind; got != "dhis2" {
		t.Errorf("kind = %q, want dhis2", got)
	}
	if got := strings.Join(src.Alerts["s"].NotifyOn, ","); got != "fail,error,warn" {
		t.Errorf("notify_on = %q, want chap-checker's default fail,error,warn", got)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.toml")
	if _, err := Load(missing); err == nil || err.Error() != missing+": cannot read: no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
	big := filepath.Join(dir, "big.toml")
	if err := os.WriteFile(big, make([]byte, maxSourceBytes+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || err.Error() != big+": cannot read: larger than 1048576 bytes; is it the right file?" {
		t.Errorf("oversized file: %v", err)
	}
	// A FIFO with no writer once hung the command; it is refused at once.
	fifo := filepath.Join(dir, "fifo.toml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := Load(fifo); done <- err }()
	select {
	case err := <-done:
		if err == nil || err.Error() != fifo+": cannot read: not a regular file (a named pipe)" {
			t.Errorf("FIFO: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Load of a FIFO with no writer did not return within 5s")
	}
}
