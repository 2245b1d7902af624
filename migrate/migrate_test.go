package migrate

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/dhis2-chap/chap_exporter/config"
	"github.com/dhis2-chap/chap_exporter/prober"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// canaryEnv holds the environment the fixtures name; values starting with
// CANARY are secrets.
var canaryEnv = map[string]string{
	"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/CANARY-env-slack-url",
	"PROD_PASS":         "CANARY-env-prod-password",
	"QUIET_PASS":        "CANARY-env-quiet-password",
	"TOKEN_ENV_PAT":     "CANARY-env-token",
	"OPS_WEBHOOK_URL":   "https://hooks.example.com/CANARY-env-ops-url",
	"STAGING_PASSWORD":  "CANARY-env-staging-password",
}

func lookupCanary(name string) (string, bool) {
	v, ok := canaryEnv[name]
	return v, ok
}

func lookupNothing(string) (string, bool) { return "", false }

// goldenDir is the fixed output directory of the golden files, since
// alertmanager.yml names its secret files by absolute path.
const goldenDir = "/srv/chap_exporter-migrated"

// TestGolden migrates each fixture and compares every configuration file and
// the report with testdata/<fixture>/. Run with -update to rewrite them.
func TestGolden(t *testing.T) {
	for _, fixture := range []string{"full", "example"} {
		t.Run(fixture, func(t *testing.T) {
			src, err := Load(filepath.Join("testdata", fixture+".toml"))
			if err != nil {
				t.Fatal(err)
			}
			plan, err := New(src, Options{OutDir: goldenDir, LookupEnv: lookupNothing})
			if err != nil {
				t.Fatal(err)
			}
			var report bytes.Buffer
			plan.Report(&report, goldenDir)
			got := map[string][]byte{"report.txt": report.Bytes()}
			for _, f := range plan.Files {
				if !f.Secret && f.Path != "rules.yml" && !strings.HasPrefix(f.Path, "templates/") {
					got[f.Path] = f.Content
				}
			}
			for name, content := range got {
				golden := filepath.Join("testdata", fixture, name)
				if *update {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, content, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./migrate -run TestGolden -update)", err)
				}
				if !bytes.Equal(content, want) {
					t.Errorf("%s differs from %s:\n%s", name, golden, content)
				}
			}
		})
	}
}

// TestSecretsOnlyInSecretFiles runs a whole migration with canary secrets in
// every place chap-checker takes one: they must reach the secret files (mode
// 0600 in a 0700 directory) and nothing else, not the output either.
func TestSecretsOnlyInSecretFiles(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	code := Run(RunOptions{From: "testdata/full.toml", Out: out, LookupEnv: lookupCanary, Stdout: &stdout, Stderr: &stderr})
	if code != ExitOK {
		t.Fatalf("exit %d, stderr: %s", code, stderr.String())
	}
	for what, text := range map[string]string{"stdout": stdout.String(), "stderr": stderr.String()} {
		if strings.Contains(text, "CANARY") {
			t.Errorf("%s shows a secret:\n%s", what, text)
		}
	}
	wantSecrets := map[string]string{
		"secrets/staging.password":        "CANARY-inline-password-7f3a\n",
		"secrets/token-inline.token":      "CANARY-inline-token-d2pat\n",
		"secrets/slack.url":               canaryEnv["SLACK_WEBHOOK_URL"] + "\n",
		"secrets/ops-webhook.url":         "https://hooks.example.com/CANARY-inline-webhook-url\n",
		"secrets/ops-webhook.credentials": "CANARY-webhook-bearer\n",
		"secrets/team-warn.url":           "https://hooks.slack.com/services/CANARY-inline-slack-url\n",
		"secrets/audit.url":               canaryEnv["OPS_WEBHOOK_URL"] + "\n",
	}
	seen := map[string]bool{}
	err := filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(out, path)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel == "secrets" && info.Mode().Perm() != 0o700 {
				t.Errorf("secrets/ has mode %v, want 0700", info.Mode().Perm())
			}
			return nil
		}
		content, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		want, secret := wantSecrets[filepath.ToSlash(rel)]
		switch {
		case secret:
			seen[rel] = true
			if string(content) != want {
				t.Errorf("%s holds %q, want %q", rel, content, want)
			}
			if info.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %v, want 0600", rel, info.Mode().Perm())
			}
		case bytes.Contains(content, []byte("CANARY")):
			t.Errorf("%s holds a secret:\n%s", rel, content)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for rel := range wantSecrets {
		if !seen[rel] {
			t.Errorf("%s was not written", rel)
		}
	}
	// The daemon token, the unsupported header and the env secrets the
	// exporter reads itself are written nowhere.
	for _, v := range []string{"CANARY-daemon-token", "CANARY-webhook-x-team", canaryEnv["PROD_PASS"], canaryEnv["TOKEN_ENV_PAT"]} {
		for rel := range wantSecrets {
			if b, _ := os.ReadFile(filepath.Join(out, rel)); bytes.Contains(b, []byte(v)) {
				t.Errorf("%s holds %s, which has no place in the migration", rel, v)
			}
		}
	}
}

func TestEnvSecretsNotSetBecomeSteps(t *testing.T) {
	src, err := Load("testdata/full.toml")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := New(src, Options{OutDir: "out", LookupEnv: lookupNothing})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range plan.Files {
		if f.Path == "secrets/slack.url" {
			t.Errorf("secrets/slack.url written although SLACK_WEBHOOK_URL is not set")
		}
	}
	abs, _ := filepath.Abs("out/secrets/slack.url")
	want := "Write the Slack webhook URL of slack (chap-checker read it from $SLACK_WEBHOOK_URL, which is not set here) to " + abs + ", mode 0600, readable by Alertmanager."
	found := false
	for _, s := range plan.Steps {
		found = found || s == want
	}
	if !found {
		t.Errorf("no step %q in\n%s", want, strings.Join(plan.Steps, "\n"))
	}
}

// TestWriteModes: the output directory is 0755 and secrets/ 0700, even when
// a secret is the first file written.
func TestWriteModes(t *testing.T) {
	out := filepath.Join(t.TempDir(), "migrated")
	plan := Plan{Files: []File{
		{Path: "secrets/a.token", Content: []byte("x\n"), Secret: true},
		{Path: "chap.yml", Content: []byte("targets: {}\n")},
	}}
	if err := plan.Write(out, false); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{out: 0o755, filepath.Join(out, "secrets"): 0o700,
		filepath.Join(out, "secrets", "a.token"): 0o600, filepath.Join(out, "chap.yml"): 0o644} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s has mode %o, want %o", path, got, want)
		}
	}
}

func TestWriteRefusesToOverwrite(t *testing.T) {
	out := t.TempDir()
	existing := filepath.Join(out, "prometheus.yml")
	if err := os.WriteFile(existing, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	opts := RunOptions{From: "testdata/example.toml", Out: out, LookupEnv: lookupNothing, Stdout: &stdout, Stderr: &stderr}
	if code := Run(opts); code != ExitError {
		t.Fatalf("exit %d, want %d", code, ExitError)
	}
	if want := "chap_exporter migrate: " + existing + " already exists; use --force to overwrite\n"; stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 1 {
		t.Errorf("wrote files although it refused: %v", entries)
	}
	// --force replaces it, and a secret file that had a wider mode gets 0600.
	secret := filepath.Join(out, "secrets", "prod.password")
	if err := os.MkdirAll(filepath.Dir(secret), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts.Force = true
	stderr.Reset()
	if code := Run(opts); code != ExitOK {
		t.Fatalf("--force: exit %d: %s", code, stderr.String())
	}
	if b, _ := os.ReadFile(existing); bytes.Equal(b, []byte("mine\n")) {
		t.Error("--force did not overwrite prometheus.yml")
	}
	if info, err := os.Stat(secret); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("secret after --force: %v %v, want mode 0600", info.Mode(), err)
	}
}

func TestRunInvalidIsOneLine(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "chap-checker.toml")
	if err := os.WriteFile(bad, []byte("[instances.a]\nurl = \"https://a\"\npassword = \"CANARY-unterminated\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := Run(RunOptions{From: bad, Out: filepath.Join(dir, "out"), LookupEnv: lookupNothing, Stdout: &stdout, Stderr: &stderr})
	if code != ExitError {
		t.Errorf("exit %d, want %d", code, ExitError)
	}
	want := "chap_exporter migrate: " + bad + ":3: basic strings cannot have new lines\n"
	if stderr.String() != want || stdout.Len() != 0 {
		t.Errorf("stdout %q stderr %q, want stderr %q", stdout.String(), stderr.String(), want)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("output directory created for an invalid file: %v", err)
	}
}

// TestChapYAMLCarriesEachInstance reads the generated chap.yml strictly
// (unknown keys fail) and compares each target with its instance; secret
// files must hold the inline secrets. The exporter's own validation of the
// same file is TestMigrateThenConfigCheck (cmd/chap_exporter), and the
// round trip shows the credentials work.
func TestChapYAMLCarriesEachInstance(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	if code := Run(RunOptions{From: "testdata/full.toml", Out: out, LookupEnv: lookupCanary, Stdout: &stdout, Stderr: &stderr}); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	content, err := os.ReadFile(filepath.Join(out, "chap.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg config.Config
	dec := yaml.NewDecoder(bytes.NewReader(content))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	type want struct {
		kind     config.Kind
		display  string
		url      string
		auth     string // username/mode=source
		timeout  string
		insecure bool
		checks   string
	}
	tests := map[string]want{
		"prod": {config.KindDHIS2, "Sierra Leone HMIS", "https://dhis2.example.com", "ops/password_env=PROD_PASS",
			"12s500ms", false, "dhis2_chap_system_info,dhis2_chap_modeling_app"},
		"staging": {config.KindDHIS2, "Staging", "https://staging.example.com/dhis", "admin/password_file=CANARY-inline-password-7f3a",
			"0s", true, ""},
		"token-inline": {config.KindDHIS2, "", "https://token.example.com", "/token_file=CANARY-inline-token-d2pat",
			"0s", false, "http_2xx,dhis2_system_info"},
		"token-env": {config.KindDHIS2, "", "http://token-env.example.com", "/token_env=TOKEN_ENV_PAT", "0s", false, ""},
		"nepal-ocs": {config.KindOCS, "Nepal", "https://ocs.example.org", "/", "0s", false, "ocs_info"},
		"quiet":     {config.KindDHIS2, "", "https://quiet.example.com", "monitor/password_env=QUIET_PASS", "0s", false, ""},
	}
	if len(cfg.Targets) != len(tests) {
		t.Errorf("%d targets, want %d: %v", len(cfg.Targets), len(tests), cfg.Names())
	}
	for name, w := range tests {
		tg := cfg.Targets[name]
		if tg == nil {
			t.Errorf("target %s missing", name)
			continue
		}
		a := tg.Auth
		auth := a.Username + "/"
		for _, src := range []struct{ key, value string }{{"password_env", a.PasswordEnv}, {"token_env", a.TokenEnv},
			{"password_file", a.PasswordFile}, {"token_file", a.TokenFile}, {"password", string(a.Password)}, {"token", string(a.Token)}} {
			if src.value == "" {
				continue
			}
			value := src.value
			if strings.HasSuffix(src.key, "_file") {
				b, err := os.ReadFile(filepath.Join(out, value))
				if err != nil {
					t.Errorf("%s: %s: %v", name, src.key, err)
				}
				value = strings.TrimSpace(string(b))
			}
			auth += src.key + "=" + value
		}
		got := want{tg.Kind, tg.DisplayName, tg.URL, auth, model.Duration(tg.Timeout).String(),
			tg.TLSConfig.InsecureSkipVerify, strings.Join(tg.Checks, ",")}
		if got != w {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, w)
		}
	}
}

// TestOCSInstance: an ocs instance becomes an ocs target without
// credentials, with its checks as written (the OCS checks themselves are
// the exporter's business).
func TestOCSInstance(t *testing.T) {
	src, err := Parse([]byte("[instances.nepal]\nkind = \"ocs\"\nname = \"Nepal\"\nurl = \"https://ocs.example.org\"\nchecks = [\"ocs_info\"]\n"), "f.toml")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := New(src, Options{OutDir: goldenDir, LookupEnv: lookupNothing})
	if err != nil {
		t.Fatal(err)
	}
	want := "targets:\n  nepal:\n    kind: ocs\n    display_name: Nepal\n    url: https://ocs.example.org\n    checks: [ocs_info]\n"
	var chap []byte
	var summary string
	for _, f := range plan.Files {
		if f.Path == "chap.yml" {
			chap, summary = f.Content, f.Summary
		}
	}
	if !strings.HasSuffix(string(chap), want) {
		t.Errorf("chap.yml:\n%s\nwant it to end with:\n%s", chap, want)
	}
	if summary != "1 target (1 ocs)" {
		t.Errorf("chap.yml's summary is %q, want \"1 target (1 ocs)\"", summary)
	}
}

// TestUnfitDisplayNameNotCarried: chap.yml refuses display names over 120
// bytes or with control characters, so such a name is reported instead of
// breaking --config.check.
func TestUnfitDisplayNameNotCarried(t *testing.T) {
	tests := []struct{ name, toml, why string }{
		{"too long", strings.Repeat("n", config.MaxDisplayName+1), "a display name is longer than 120 bytes; set display_name by hand"},
		{"a tab", `Sierra\tLeone`, "a display name must be printable text on one line; set display_name by hand"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := Parse([]byte("[instances.a]\nname = \""+tt.toml+"\"\nurl = \"https://a\"\ntoken_env = \"A\"\n"), "f.toml")
			if err != nil {
				t.Fatal(err)
			}
			plan, err := New(src, Options{OutDir: "out", LookupEnv: lookupNothing})
			if err != nil {
				t.Fatal(err)
			}
			if len(plan.NotCarried) != 1 || plan.NotCarried[0].What != "instances.a.name" || plan.NotCarried[0].Why != tt.why {
				t.Errorf("not carried: %+v, want instances.a.name: %s", plan.NotCarried, tt.why)
			}
			for _, f := range plan.Files {
				if f.Path == "chap.yml" && bytes.Contains(f.Content, []byte("display_name")) {
					t.Errorf("chap.yml carries the name:\n%s", f.Content)
				}
			}
		})
	}
}

// TestUICarriedToTheStatusPage: [ui].title becomes the status page's title
// and the dhis2 theme carries over; a theme the page lacks, or a title it
// refuses, is reported, and chap.yml stays valid.
func TestUICarriedToTheStatusPage(t *testing.T) {
	tests := []struct {
		name, ui   string
		want       config.UI
		notCarried []string
	}{
		{"title and dhis2 theme", "title = \"Ministry of Health\"\ntheme = \"dhis2\"\n",
			config.UI{Title: "Ministry of Health", Theme: config.ThemeDHIS2}, nil},
		{"terminal theme", "theme = \"amber\"\n", config.UI{}, []string{"[ui].theme"}},
		{"no ui table", "", config.UI{}, nil},
		{"title on two lines", "title = \"Ministry\\nof Health\"\n", config.UI{}, []string{"[ui].title"}},
		{"title too long", "title = \"" + strings.Repeat("t", 121) + "\"\n", config.UI{}, []string{"[ui].title"}},
	}
	t.Setenv("A", "token")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			toml := "[instances.a]\nurl = \"https://a\"\ntoken_env = \"A\"\n"
			if tt.ui != "" {
				toml += "[ui]\n" + tt.ui
			}
			src, err := Parse([]byte(toml), "f.toml")
			if err != nil {
				t.Fatal(err)
			}
			plan, err := New(src, Options{OutDir: "out", LookupEnv: lookupNothing})
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				UI config.UI `yaml:"ui"`
			}
			for _, f := range plan.Files {
				if f.Path == "chap.yml" {
					if err := yaml.Unmarshal(f.Content, &got); err != nil {
						t.Fatal(err)
					}
					if _, err := config.Parse(f.Content, "chap.yml", prober.KindsOf); err != nil {
						t.Errorf("chap.yml is invalid: %v", err)
					}
				}
			}
			if got.UI.Title != tt.want.Title || got.UI.Theme != tt.want.Theme {
				t.Errorf("ui = %+v, want %+v", got.UI, tt.want)
			}
			var what []string
			for _, item := range plan.NotCarried {
				what = append(what, item.What)
			}
			if strings.Join(what, ",") != strings.Join(tt.notCarried, ",") {
				t.Errorf("not carried = %v, want %v", what, tt.notCarried)
			}
		})
	}
}
