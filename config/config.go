package config

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"time"

	commoncfg "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// Defaults applied to targets that leave a key out.
const (
	DefaultTimeout = 10 * time.Second
	// MaxTimeout bounds a target's timeout, and so how long shutdown waits.
	MaxTimeout              = 5 * time.Minute
	DefaultRouteCode        = "chap"
	DefaultModelingAppHubID = "a29851f9-82a7-4ecd-8b2c-58e0f220bc75"
	DefaultClimateAppHubID  = "effb986c-a3c7-485e-a2f6-5e54ff9df7c3"
	DefaultHealthPath       = "/health" // chapkit
)

var (
	targetNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	routeCodeRE  = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

// Config is the whole configuration file.
type Config struct {
	Targets map[string]*Target `yaml:"targets"`
	// UI configures the status page.
	UI UI `yaml:"ui,omitempty"`

	// Warnings are accepted but discouraged settings, for the caller to log.
	Warnings []string `yaml:"-"`
	// Checksum identifies the file content and the secrets it resolved, so an
	// unchanged config can skip a reload while a rotated token file cannot.
	Checksum [sha256.Size]byte `yaml:"-"`
}

// Target is one DHIS2 server to probe.
type Target struct {
	// Name is the key under targets:, used as /probe?target=NAME.
	Name string `yaml:"-"`
	// Kind is dhis2 (the default), ocs or chapkit.
	Kind Kind `yaml:"kind,omitempty"`
	// DisplayName is a human label for pages and tables (the old tool's name).
	DisplayName      string   `yaml:"display_name,omitempty"`
	URL              string   `yaml:"url"`
	Auth             Auth     `yaml:"auth,omitempty"`
	Timeout          Duration `yaml:"timeout,omitempty"`
	MinInterval      Duration `yaml:"min_interval,omitempty"` // 0: every probe asks DHIS2
	Checks           []string `yaml:"checks,omitempty,flow"`
	RouteCode        string   `yaml:"route_code,omitempty"`
	ModelingAppHubID string   `yaml:"modeling_app_hub_id,omitempty"`
	ClimateAppHubID  string   `yaml:"climate_app_hub_id,omitempty"`
	// HealthPath is where a chapkit service serves its health document.
	HealthPath  string                `yaml:"health_path,omitempty"`
	TLSConfig   commoncfg.TLSConfig   `yaml:"tls_config,omitempty"`
	ProxyConfig commoncfg.ProxyConfig `yaml:",inline"`
	// Labels are attached to the target in service discovery (/sd).
	Labels       map[string]string `yaml:"labels,omitempty"`
	CustomChecks []CustomCheck     `yaml:"custom_checks,omitempty"`

	tls *commoncfg.TLSConfig // TLSConfig with its files read at load, see TLS
}

// TLS is the target's TLS settings with the CA, certificate and key files
// already read (size-capped, regular files only) at load, so nothing reads
// them later; TLSConfig itself keeps the paths for display.
func (t *Target) TLS() *commoncfg.TLSConfig {
	if t.tls == nil {
		return &t.TLSConfig
	}
	return t.tls
}

// resolveTLS reads the TLS files into an inline copy of TLSConfig.
func (t *Target) resolveTLS() error {
	resolved := t.TLSConfig
	for _, f := range []struct {
		key, path string
		set       func(string)
	}{
		{"ca_file", t.TLSConfig.CAFile, func(v string) { resolved.CA, resolved.CAFile = v, "" }},
		{"cert_file", t.TLSConfig.CertFile, func(v string) { resolved.Cert, resolved.CertFile = v, "" }},
		{"key_file", t.TLSConfig.KeyFile, func(v string) { resolved.Key, resolved.KeyFile = commoncfg.Secret(v), "" }},
	} {
		if f.path == "" {
			continue
		}
		b, err := ReadFile(f.path, MaxTLSFileBytes)
		if err != nil {
			return &keyError{key: "tls_config." + f.key, msg: fmt.Sprintf("cannot read %s: %s", f.path, WhyUnreadable(err)), err: err}
		}
		f.set(string(b))
	}
	t.tls = &resolved
	return nil
}

// Names returns the target names in sorted order.
func (c *Config) Names() []string {
	names := make([]string, 0, len(c.Targets))
	for name := range c.Targets {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func (c *Config) anyTargetHasLabel(name string) bool {
	for _, t := range c.Targets {
		if _, ok := t.Labels[name]; ok {
			return true
		}
	}
	return false
}

// String renders the configuration as YAML with every secret shown as <secret>.
func (c *Config) String() string {
	return marshal(c)
}

// String renders one target as YAML with every secret shown as <secret>.
func (t *Target) String() string {
	return marshal(map[string]*Target{t.Name: t})
}

func marshal(v any) string {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprintf("# cannot render config: %v\n", err)
	}
	return buf.String()
}

// Duration is a time.Duration written like Prometheus durations ("10s", "1m").
type Duration time.Duration

// UnmarshalYAML parses a Prometheus duration and reports a bad one with its line.
func (d *Duration) UnmarshalYAML(node *yaml.Node) error {
	parsed, err := model.ParseDuration(node.Value)
	if err != nil || node.Kind != yaml.ScalarNode {
		// The value is not echoed: it may be a misplaced secret.
		msg := "invalid duration (want e.g. 10s, 1m30s)"
		if node.Tag == "!!int" || node.Tag == "!!float" {
			msg = "a number needs a unit (e.g. 10s, 1m30s)"
		}
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s", node.Line, msg)}}
	}
	*d = Duration(parsed)
	return nil
}

// MarshalYAML renders the duration as Prometheus does.
func (d Duration) MarshalYAML() (any, error) {
	return model.Duration(d).String(), nil
}

// CheckKinds returns the target kinds a check applies to, nil when no check
// has that name; config does not own the list of checks (prober.KindsOf does).
type CheckKinds func(name string) []Kind

// Load reads, validates and resolves the configuration file.
func Load(filename string, checks CheckKinds) (*Config, error) {
	content, err := readSettled(filename)
	if err != nil {
		return nil, &Error{File: filename, Msg: "cannot read config file: " + WhyUnreadable(err), Err: err}
	}
	return Parse(content, filename, checks)
}

// Parse validates and resolves configuration content; filename locates
// errors and relative secret and CA files.
func Parse(content []byte, filename string, checks CheckKinds) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(content, &root); err != nil {
		return nil, yamlError(filename, content, nil, err)
	}
	cfg := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(content))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: filename, Msg: "config file is empty; it needs a targets: section"}
		}
		return nil, yamlError(filename, content, &root, err)
	}
	loc := locator{file: filename, root: &root}
	if len(cfg.Targets) == 0 {
		return nil, loc.errorf("", "targets", "at least one target is required")
	}
	dir := filepath.Dir(filename)
	sum := sha256.New()
	sum.Write(content)
	for _, name := range cfg.Names() {
		t := cfg.Targets[name]
		if t == nil {
			return nil, loc.errorf(name, "", "target has no settings; it needs at least url")
		}
		t.Name = name
		warnings, err := t.validate(dir, checks)
		if err != nil {
			return nil, loc.wrap(name, err)
		}
		cfg.Warnings = append(cfg.Warnings, warnings...)
		sum.Write([]byte(t.Auth.credential))
		sum.Write([]byte(t.tls.CA + t.tls.Cert + string(t.tls.Key))) // a rotated CA or certificate is a change
	}
	if err := cfg.UI.validate(); err != nil {
		return nil, loc.wrapSection("ui", err)
	}
	if g := cfg.UI.GroupBy; g != "" && !cfg.anyTargetHasLabel(g) {
		cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("ui.group_by: no target has the label %q, so the board shows one group", g))
	}
	copy(cfg.Checksum[:], sum.Sum(nil))
	return cfg, nil
}

// keyError is a validation problem at a key path inside one target.
type keyError struct {
	key string
	msg string
	err error
}

func (e *keyError) Error() string { return e.key + ": " + e.msg }
func (e *keyError) Unwrap() error { return e.err }

func keyErrorf(key, format string, args ...any) error {
	return &keyError{key: key, msg: fmt.Sprintf(format, args...)}
}

func (t *Target) validate(dir string, checks CheckKinds) (warnings []string, err error) {
	if !targetNameRE.MatchString(t.Name) {
		return nil, keyErrorf("", "target name must match %s", targetNameRE)
	}
	if t.Kind == "" {
		t.Kind = KindDHIS2
	} else if !t.Kind.Valid() {
		return nil, keyErrorf("kind", "unknown kind %q (want one of %s)", t.Kind, nameList(Kinds))
	}
	if err := ValidDisplayName(t.DisplayName); err != nil {
		return nil, keyErrorf("display_name", "%v", err)
	}
	if err := validateURL(t.URL); err != nil {
		return nil, err
	}
	if t.Timeout == 0 {
		t.Timeout = Duration(DefaultTimeout)
	} else if t.Timeout < 0 {
		return nil, keyErrorf("timeout", "must be positive")
	} else if time.Duration(t.Timeout) > MaxTimeout {
		return nil, keyErrorf("timeout", "must be at most %s", model.Duration(MaxTimeout))
	}
	if t.MinInterval < 0 {
		return nil, keyErrorf("min_interval", "must not be negative")
	}
	if err := t.validateKindKeys(); err != nil {
		return nil, err
	}
	if err := validChecks(t.Checks, t.Kind, checks); err != nil {
		return nil, keyErrorf("checks", "%s", err)
	}
	if err := t.validateExtras(checks); err != nil {
		return nil, err
	}
	t.TLSConfig.SetDirectory(dir)
	if err := t.TLSConfig.Validate(); err != nil {
		return nil, &keyError{key: "tls_config", msg: err.Error(), err: err}
	}
	if err := t.resolveTLS(); err != nil {
		return nil, err
	}
	if _, err := commoncfg.NewTLSConfig(t.tls); err != nil {
		return nil, &keyError{key: "tls_config", msg: err.Error(), err: err}
	}
	if err := t.ProxyConfig.Validate(); err != nil {
		return nil, &keyError{key: "proxy_url", msg: err.Error(), err: err}
	}
	return t.Auth.resolve(t.Name, dir)
}

// validChecks applies the rules of a target's checks: key to names, the
// checks of a target of kind.
func validChecks(names []string, kind Kind, checks CheckKinds) error {
	seen := map[string]bool{}
	for _, c := range names {
		if err := checkApplies(checks, c, kind); err != nil {
			return err
		}
		if seen[c] {
			return fmt.Errorf("check %q listed twice", c)
		}
		seen[c] = true
	}
	return nil
}

func validPort(port string) bool {
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535
}

// MaxDisplayName bounds a display name, which every page and table shows.
const MaxDisplayName = 120

// ValidTargetName reports whether name may name a target (a key under targets:).
func ValidTargetName(name string) bool { return targetNameRE.MatchString(name) }

// Label is the name people see: the display name, else the target name.
func (t *Target) Label() string {
	if t.DisplayName != "" {
		return t.DisplayName
	}
	return t.Name
}

func validateURL(raw string) error {
	if raw == "" {
		return keyErrorf("url", "is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse echoes the input, which may hold a password: say less.
		return keyErrorf("url", "is not a valid URL")
	}
	switch {
	case u.User != nil:
		return keyErrorf("url", "credentials in the URL are not allowed; use auth")
	case u.Scheme == "" || u.Opaque != "":
		// "dhis2.example.org" or "dhis2.example.org:8080" (parsed as scheme "dhis2.example.org").
		return keyErrorf("url", "has no scheme; start it with https:// (or http://)")
	case u.Scheme != "http" && u.Scheme != "https":
		return keyErrorf("url", "scheme must be http or https, not %q", u.Scheme)
	case u.Host == "":
		return keyErrorf("url", "has no host")
	case u.Port() != "" && !validPort(u.Port()):
		return keyErrorf("url", "port %s is out of range (1-65535)", u.Port())
	case u.RawQuery != "" || u.Fragment != "":
		return keyErrorf("url", "must not have a query or fragment")
	}
	return nil
}
