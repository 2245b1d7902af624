package migrate

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/dhis2-chap/chap_exporter/config"
)

// Source is a parsed and validated chap-checker configuration file.
type Source struct {
	// File is the path it was read from, for messages.
	File string

	Concurrency *int                 `toml:"concurrency"`
	Retry       *retryPolicy         `toml:"retry"`
	Instances   map[string]*Instance `toml:"instances"`
	Alerts      map[string]*Alerter  `toml:"alerts"`
	Auth        *daemonAuth          `toml:"auth"`
	UI          *ui                  `toml:"ui"`

	// unknown lists keys chap-checker's schema does not have, with their lines.
	unknown []string
}

// retryPolicy is chap-checker's request retry; Prometheus scrapes again instead.
type retryPolicy struct {
	MaxAttempts   *int     `toml:"max_attempts"`
	BaseDelay     *float64 `toml:"base_delay"`
	MaxDelay      *float64 `toml:"max_delay"`
	BackoffFactor *float64 `toml:"backoff_factor"`
	Jitter        *float64 `toml:"jitter"`
	RetryStatuses []int    `toml:"retry_statuses"`
}

// Instance is one [instances.NAME] table: a server chap-checker checks.
type Instance struct {
	Kind        string       `toml:"kind"`
	Name        string       `toml:"name"`
	URL         string       `toml:"url"`
	Username    string       `toml:"username"`
	Password    string       `toml:"password"`
	PasswordEnv string       `toml:"password_env"`
	Token       string       `toml:"token"`
	TokenEnv    string       `toml:"token_env"`
	TimeoutS    *float64     `toml:"timeout_s"`
	VerifyTLS   *bool        `toml:"verify_tls"`
	Checks      []string     `toml:"checks"`
	Alerts      []string     `toml:"alerts"`
	RetryPolicy *retryPolicy `toml:"retry_policy"`
}

// Alerter is one [alerts.NAME] table: a Slack incoming webhook or a generic
// webhook.
type Alerter struct {
	WebhookURL    string            `toml:"webhook_url"`
	WebhookURLEnv string            `toml:"webhook_url_env"`
	URL           string            `toml:"url"`
	URLEnv        string            `toml:"url_env"`
	NotifyOn      []string          `toml:"notify_on"`
	TimeoutS      *float64          `toml:"timeout_s"`
	Headers       map[string]string `toml:"headers"`
}

// daemonAuth protects chap-checker's own web daemon.
type daemonAuth struct {
	Token    string `toml:"token"`
	TokenEnv string `toml:"token_env"`
}

type ui struct {
	Title *string `toml:"title"`
	Theme string  `toml:"theme"`
}

// The values chap-checker accepts.
var (
	checkerKinds    = []string{"dhis2", "ocs"}
	checkerNotifyOn = []string{"fail", "error", "warn"}
	// checksOfKind lists chap-checker's checks by the target kind they apply to.
	checksOfKind = map[string][]string{
		"dhis2": {"http_2xx", "dhis2_ping", "dhis2_system_info", "dhis2_chap_route", "dhis2_chap_ping",
			"dhis2_chap_system_info", "dhis2_chap_modeling_app", "dhis2_chap_climate_app"},
		"ocs": {"http_2xx", "ocs_health", "ocs_info"},
	}
)

// maxTimeoutS bounds timeout_s: a probe is scraped well within an hour.
const maxTimeoutS = 3600

// maxSourceBytes bounds the file read: a chap-checker file is a few KiB.
const maxSourceBytes = 1 << 20

// Error is a problem with the chap-checker file: one line naming the file,
// the line where known and the key. It never holds a value from the file.
type Error struct {
	File string
	Line int // 0 when unknown
	Key  string
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		b.WriteString(": " + e.Key)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Load reads and validates a chap-checker file.
func Load(filename string) (*Source, error) {
	content, err := config.ReadFile(filename, maxSourceBytes)
	if err != nil {
		return nil, &Error{File: filename, Msg: "cannot read: " + config.WhyUnreadable(err), Err: err}
	}
	return Parse(content, filename)
}

// Parse decodes and validates chap-checker TOML. Keys chap-checker does not
// know are kept in the result as not carried, not rejected.
func Parse(content []byte, filename string) (*Source, error) {
	src := &Source{File: filename}
	dec := toml.NewDecoder(bytes.NewReader(content))
	dec.DisallowUnknownFields()
	err := dec.Decode(src)
	var missing *toml.StrictMissingError
	switch {
	case errors.As(err, &missing):
		for _, e := range missing.Errors {
			line, _ := e.Position()
			src.unknown = append(src.unknown, fmt.Sprintf("%s (line %d)", dottedKey(e.Key()), line))
		}
	case err != nil:
		return nil, decodeError(filename, err)
	}
	keys := lazyKeyLines{content: content}
	if err := src.validate(); err != nil {
		var ke *keyError
		if errors.As(err, &ke) {
			return nil, &Error{File: filename, Line: keys.line(ke.key), Key: dottedKey(ke.key), Msg: ke.msg}
		}
		return nil, &Error{File: filename, Msg: err.Error()}
	}
	return src, nil
}

// decodeError turns the TOML library's error into one located line. The
// library's messages name Go types; those are translated.
func decodeError(filename string, err error) error {
	var de *toml.DecodeError
	if !errors.As(err, &de) {
		return &Error{File: filename, Msg: err.Error(), Err: err}
	}
	line, _ := de.Position()
	msg := strings.TrimPrefix(de.Error(), "toml: ")
	if m := typeErrorRE.FindStringSubmatch(msg); m != nil {
		msg = fmt.Sprintf("is a TOML %s; want %s", m[1], goTypeNames.Replace(m[2]))
	}
	return &Error{File: filename, Line: line, Key: dottedKey(de.Key()), Msg: msg, Err: err}
}

var (
	typeErrorRE = regexp.MustCompile(`^cannot decode TOML (\w+) into .* of type (\S+)$`)
	goTypeNames = strings.NewReplacer("map[string]string", "a table of strings", "[]string", "an array of strings",
		"[]int", "an array of integers", "float64", "a number", "int", "an integer", "string", "a string",
		"bool", "true or false")
)

// dottedKey renders a key path as TOML writes it, quoting parts that need it.
func dottedKey(parts []string) string {
	out := make([]string, len(parts))
	for i, p := range parts {
		if bareKeyRE.MatchString(p) {
			out[i] = p
		} else {
			out[i] = fmt.Sprintf("%q", p)
		}
	}
	return strings.Join(out, ".")
}

var bareKeyRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// keyError is a validation problem at a key path.
type keyError struct {
	key []string
	msg string
}

func (e *keyError) Error() string { return dottedKey(e.key) + ": " + e.msg }

func keyErrorf(key []string, format string, args ...any) error {
	return &keyError{key: key, msg: fmt.Sprintf(format, args...)}
}

// validate applies chap-checker's own rules to what is carried over, so
// that a file the old tool refuses is refused here too.
func (s *Source) validate() error {
	if len(s.Instances) == 0 {
		return keyErrorf([]string{"instances"}, "no [instances.NAME] table; there is nothing to migrate")
	}
	for _, name := range slices.Sorted(maps.Keys(s.Alerts)) {
		if err := s.Alerts[name].validate([]string{"alerts", name}); err != nil {
			return err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.Instances)) {
		if err := s.Instances[name].validate([]string{"instances", name}, s.Alerts); err != nil {
			return err
		}
	}
	return nil
}

func (in *Instance) validate(key []string, alerters map[string]*Alerter) error {
	if in == nil {
		return keyErrorf(key, "is empty; it needs at least url")
	}
	if in.Kind == "" {
		in.Kind = "dhis2"
	}
	urlErr := validateURL(in.URL)
	modes := countSet(in.Password, in.PasswordEnv, in.Token, in.TokenEnv)
	checks := checksOfKind[in.Kind]
	badCheck, hasBadCheck := firstNotIn(in.Checks, func(c string) bool { return slices.Contains(checks, c) })
	badAlerter, hasBadAlerter := firstNotIn(in.Alerts, func(a string) bool { _, ok := alerters[a]; return ok })
	return firstBroken(key, []fieldRule{
		{!slices.Contains(checkerKinds, in.Kind), "kind", fmt.Sprintf("unknown kind (want %s)", strings.Join(checkerKinds, " or "))},
		{urlErr != nil, "url", fmt.Sprint(urlErr)},
		{in.Kind == "ocs" && (modes > 0 || in.Username != ""), "", "an ocs instance takes no credentials (username, password, password_env, token, token_env)"},
		{in.Kind == "dhis2" && modes != 1, "", fmt.Sprintf("give exactly one of password, password_env, token, token_env (found %d)", modes)},
		{countSet(in.Password, in.PasswordEnv) > 0 && in.Username == "", "username", "is required with a password"},
		envNameRule(map[string]string{"password_env": in.PasswordEnv, "token_env": in.TokenEnv}),
		timeoutRule(in.TimeoutS),
		{in.Checks != nil && len(in.Checks) == 0, "checks", "lists no check; leave it out to run every check"},
		{hasBadCheck, "checks", fmt.Sprintf("check %q does not apply to kind %s (it has %s)", badCheck, in.Kind, strings.Join(checks, ", "))},
		{hasBadAlerter, "alerts", fmt.Sprintf("names %q, which has no [alerts.%s] table", badAlerter, badAlerter)},
	})
}

// fieldRule is one of chap-checker's rules on a table: whether the table
// breaks it, the key at fault ("" for the table itself) and what is wrong.
type fieldRule struct {
	broken bool
	key    string
	msg    string
}

// firstBroken reports the first broken rule, in the order chap-checker
// applies them, at its key under the table at key.
func firstBroken(key []string, rules []fieldRule) error {
	for _, r := range rules {
		if !r.broken {
			continue
		}
		if r.key == "" {
			return keyErrorf(key, "%s", r.msg)
		}
		return keyErrorf(append(slices.Clip(key), r.key), "%s", r.msg)
	}
	return nil
}

// countSet counts the values that are set.
func countSet(values ...string) int {
	n := 0
	for _, v := range values {
		if v != "" {
			n++
		}
	}
	return n
}

// firstNotIn returns the first value that is not ok.
func firstNotIn(values []string, ok func(string) bool) (string, bool) {
	for _, v := range values {
		if !ok(v) {
			return v, true
		}
	}
	return "", false
}

// timeoutRule bounds timeout_s, when it is given.
func timeoutRule(timeoutS *float64) fieldRule {
	return fieldRule{
		broken: timeoutS != nil && !(*timeoutS > 0 && *timeoutS <= maxTimeoutS),
		key:    "timeout_s",
		msg:    fmt.Sprintf("must be greater than 0 and at most %d", maxTimeoutS),
	}
}

// validateURL accepts what a check can request; it never echoes the URL,
// which may hold credentials.
func validateURL(raw string) error {
	if raw == "" {
		return errors.New("is required")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return errors.New("is not a valid URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("scheme must be http or https")
	case u.Host == "":
		return errors.New("has no host")
	case u.User != nil:
		return errors.New("has credentials in it; chap_exporter takes them only from username with password or token")
	case u.RawQuery != "" || u.Fragment != "":
		return errors.New("has a query or fragment; chap_exporter needs a base URL")
	}
	return nil
}

// envNameRule refuses *_env values that chap.yml would not take as variable
// names, the first by key; they are not echoed, since a misplaced secret is the likely mistake.
func envNameRule(envs map[string]string) fieldRule {
	for _, k := range slices.Sorted(maps.Keys(envs)) {
		if v := envs[k]; v != "" && !config.ValidEnvName(v) {
			return fieldRule{broken: true, key: k, msg: "is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)"}
		}
	}
	return fieldRule{}
}

// Kind of notifier an [alerts.NAME] table describes.
const (
	alerterSlack   = "slack"
	alerterWebhook = "webhook"
)

// kind detects the notifier from its keys, as chap-checker does.
func (a *Alerter) kind() string {
	if a.WebhookURL != "" || a.WebhookURLEnv != "" {
		return alerterSlack
	}
	return alerterWebhook
}

func (a *Alerter) validate(key []string) error {
	if a == nil {
		return keyErrorf(key, "is empty; it needs webhook_url(_env) for Slack or url(_env) for a webhook")
	}
	slackURLs, webhookURLs := countSet(a.WebhookURL, a.WebhookURLEnv), countSet(a.URL, a.URLEnv)
	slack, generic := slackURLs > 0, webhookURLs > 0
	badStatus, hasBadStatus := firstNotIn(a.NotifyOn, func(s string) bool { return slices.Contains(checkerNotifyOn, s) })
	err := firstBroken(key, []fieldRule{
		{slack && generic, "", "has both Slack (webhook_url, webhook_url_env) and webhook (url, url_env) keys"},
		{key[len(key)-1] == "slack" && !slack, "", "needs webhook_url or webhook_url_env"},
		{!slack && !generic, "", "needs webhook_url or webhook_url_env (Slack), or url or url_env (webhook)"},
		{slackURLs == 2, "", "give webhook_url or webhook_url_env, not both"},
		{webhookURLs == 2, "", "give url or url_env, not both"},
		{a.kind() == alerterSlack && len(a.Headers) > 0, "headers", "applies to webhooks only"},
		envNameRule(map[string]string{"webhook_url_env": a.WebhookURLEnv, "url_env": a.URLEnv}),
		timeoutRule(a.TimeoutS),
		{hasBadStatus, "notify_on", fmt.Sprintf("unknown status %q (want fail, error or warn)", badStatus)},
	})
	if err == nil && a.NotifyOn == nil {
		a.NotifyOn = slices.Clone(checkerNotifyOn)
	}
	return err
}

// notifies reports whether the alerter wants status changes of level.
func (a *Alerter) notifies(level string) bool { return slices.Contains(a.NotifyOn, level) }
