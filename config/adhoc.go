package config

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// AdHocTarget is a target given on the command line (`chap_exporter check
// --url ...`) instead of in a configuration file. Each field is one flag.
type AdHocTarget struct {
	URL         string        // --url
	Kind        Kind          // --kind; "" means dhis2
	Checks      []string      // --checks, one name an element
	Username    string        // --username
	PasswordEnv string        // --password-env
	TokenEnv    string        // --token-env
	Timeout     time.Duration // --timeout; 0 means DefaultTimeout
}

// adHocFlags names the flag behind each key an ad hoc target's validation
// can report; "auth" covers the choice between the credential flags.
var adHocFlags = map[string]string{
	"url":               "--url",
	"kind":              "--kind",
	"timeout":           "--timeout",
	"checks":            "--checks",
	"auth":              "--username/--token-env",
	"auth.username":     "--username",
	"auth.token_env":    "--token-env",
	"auth.password_env": "--password-env",
}

// AdHoc returns a one-target configuration for t, validated with the same
// rules and messages as a configuration file, except that a *FlagError
// names the flag at fault ("--token-env: environment variable X is not
// set") where a file's *Error would name the key. The target is named
// after the URL's host.
func AdHoc(t AdHocTarget, checks CheckKinds) (*Config, error) {
	if t.Timeout != 0 && !fileDuration(t.Timeout) {
		return nil, flagError("timeout", "invalid duration (want e.g. 10s, 1m30s)", nil)
	}
	target := &Target{
		Name:    adHocName(t.URL),
		Kind:    t.Kind,
		URL:     t.URL,
		Auth:    Auth{Username: t.Username, PasswordEnv: t.PasswordEnv, TokenEnv: t.TokenEnv},
		Timeout: Duration(t.Timeout),
		Checks:  t.Checks,
	}
	warnings, err := target.validate(".", checks)
	var ke *keyError
	if errors.As(err, &ke) {
		return nil, flagError(ke.key, ke.msg, ke.err)
	} else if err != nil {
		return nil, &FlagError{Msg: err.Error(), Err: err}
	}
	cfg := &Config{Targets: map[string]*Target{target.Name: target}, Warnings: warnings}
	if err := cfg.UI.validate(); err != nil { // only fills the defaults: an ad hoc target sets no ui keys
		return nil, err
	}
	return cfg, nil
}

// fileDuration reports whether d, written as Go writes durations (and as
// --timeout takes them), is a duration a file may hold: 10s and 1m30s are,
// while 1.5s, 1µs and negative durations are refused as in a file.
func fileDuration(d time.Duration) bool {
	_, err := model.ParseDuration(d.String())
	return err == nil
}

// FlagError is a problem with an ad hoc target, named by the flag at fault
// as Error names the file, line and key.
type FlagError struct {
	Flag string // "" when no one flag is at fault
	Msg  string
	Err  error // the underlying cause, for errors.Is/As
}

func (e *FlagError) Error() string {
	if e.Flag == "" {
		return e.Msg
	}
	return e.Flag + ": " + e.Msg
}

func (e *FlagError) Unwrap() error { return e.Err }

// flagError is a validation problem at key, named by the flag behind it.
func flagError(key, msg string, cause error) *FlagError {
	flag, ok := adHocFlags[key]
	if !ok {
		flag = key // no flag sets it: name the key rather than nothing
	}
	return &FlagError{Flag: flag, Msg: msg, Err: cause}
}

// adHocName names an ad hoc target after its URL's host, as tables show
// it, or "adhoc" when the host is no valid target name.
func adHocName(raw string) string {
	u, err := url.Parse(raw)
	if err == nil && targetNameRE.MatchString(u.Hostname()) {
		return u.Hostname()
	}
	return "adhoc"
}

// Select narrows c to the named targets (all when none are named), for a
// command line that names targets and checks (`chap_exporter check NAME
// --checks=...`), and returns their names in the order given. checks, when
// given, replace each target's selection under the rules of its checks:
// key; a *FlagError names --checks and the target at fault.
func (c *Config) Select(names, checks []string, kinds CheckKinds) ([]string, error) {
	if len(names) == 0 {
		names = c.Names()
	}
	selected := make(map[string]*Target, len(names))
	for _, name := range names {
		t, ok := c.Targets[name]
		if !ok {
			return nil, fmt.Errorf("unknown target %q: configured targets are %s", name, strings.Join(c.Names(), ", "))
		}
		if len(checks) > 0 {
			if err := validChecks(checks, t.Kind, kinds); err != nil {
				return nil, &FlagError{Flag: "--checks", Msg: fmt.Sprintf("%s (target %q)", err, name), Err: err}
			}
			t.Checks = checks
		}
		selected[name] = t
	}
	c.Targets = selected
	return names, nil
}
