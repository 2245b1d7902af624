package migrate

import (
	"encoding/base64"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/dhis2-chap/chap_exporter/alerting"
)

// amConfig is the part of alertmanager.yml the migration reads from the
// bundled file and writes back with its own routes and receivers.
type amConfig struct {
	Global       yaml.Node    `yaml:"global"`
	Templates    []string     `yaml:"templates"`
	Route        amRoute      `yaml:"route"`
	InhibitRules yaml.Node    `yaml:"inhibit_rules"`
	Receivers    []amReceiver `yaml:"receivers"`
}

type amRoute struct {
	Receiver       string     `yaml:"receiver"`
	GroupBy        []string   `yaml:"group_by,omitempty,flow"`
	GroupWait      string     `yaml:"group_wait,omitempty"`
	GroupInterval  string     `yaml:"group_interval,omitempty"`
	RepeatInterval string     `yaml:"repeat_interval,omitempty"`
	Matchers       []string   `yaml:"matchers,omitempty"`
	Continue       bool       `yaml:"continue,omitempty"`
	Routes         []*amRoute `yaml:"routes,omitempty"`
}

// amReceiver keeps notifier settings as maps so that the bundled Slack and
// webhook settings (templates, send_resolved) are carried whole.
type amReceiver struct {
	Name           string           `yaml:"name"`
	SlackConfigs   []map[string]any `yaml:"slack_configs,omitempty"`
	WebhookConfigs []map[string]any `yaml:"webhook_configs,omitempty"`
}

// The receiver that sends nothing, and the label value of warn-level alerts.
const (
	nullReceiver = "null"
	warnSeverity = "info"
)

// receiverNameRE keeps receiver names safe in a comma-separated notify label
// and in a regular expression.
var receiverNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// alertmanagerConfig renders alertmanager.yml on the bundled routing: one
// receiver per alerter, routes from the notify label and notify_on.
func (m *migration) alertmanagerConfig() {
	bundled := readBundle("alertmanager.yml")
	var cfg amConfig
	if err := yaml.Unmarshal(bundled, &cfg); err != nil {
		panic(fmt.Sprintf("migrate: embedded alertmanager.yml: %v", err))
	}
	receivers, warnNames, failNames := m.receivers(cfg.Receivers)
	cfg.Receivers = receivers
	cfg.Route.Routes = append([]*amRoute{{
		Receiver: nullReceiver,
		Matchers: []string{fmt.Sprintf("severity=%q", warnSeverity)},
		Routes:   notifyRoutes(warnNames),
	}}, notifyRoutes(failNames)...)
	m.file("alertmanager.yml", renderYAML(alertmanagerHeader, &cfg), receiversSummary(receivers))
	m.alertTemplates()
	if len(m.webhooks) > 0 {
		m.step("Run Alertmanager 0.26 or later: the webhook receivers (%s) read their URL from url_file, which Alertmanager 0.25 (Debian 12) rejects.", strings.Join(m.webhooks, ", "))
	}
	m.step("Check Alertmanager's configuration: amtool check-config %s; start it with --data.retention=8760h (see the header of the file). Its secret files are named by absolute path: if you move %s, update them.", m.outPath("alertmanager.yml"), m.opts.OutDir)
}

// receivers builds the null receiver and one per alerter on the bundled
// Slack and webhook settings, and names the alerters that want warn-level
// and fail-level alerts.
func (m *migration) receivers(bundled []amReceiver) (receivers []amReceiver, warnNames, failNames []string) {
	slackTemplate, webhookTemplate := bundledNotifier(bundled, "slack"), bundledNotifier(bundled, "webhook")
	receivers = []amReceiver{{Name: nullReceiver}}
	for _, name := range slices.Sorted(maps.Keys(m.src.Alerts)) {
		a := m.src.Alerts[name]
		key := dottedKey([]string{"alerts", name})
		if !receiverNameRE.MatchString(name) || name == nullReceiver {
			m.notCarried("["+key+"]", "receiver names here are [A-Za-z0-9_.-]+ and not \"null\"; add it to alertmanager.yml by hand")
			continue
		}
		if a.kind() == alerterSlack {
			receivers = append(receivers, m.slackReceiver(name, a, slackTemplate))
		} else {
			receivers = append(receivers, m.webhookReceiver(name, a, webhookTemplate))
		}
		if a.TimeoutS != nil {
			m.notCarried(key+".timeout_s", "Alertmanager times notifications out itself (webhook_configs.timeout exists from Alertmanager 0.28)")
		}
		if a.notifies("warn") {
			warnNames = append(warnNames, name)
		}
		if a.notifies("fail") || a.notifies("error") {
			failNames = append(failNames, name)
		}
	}
	return receivers, warnNames, failNames
}

// slackReceiver sends to a Slack alerter with the bundled Slack settings.
func (m *migration) slackReceiver(name string, a *Alerter, template map[string]any) amReceiver {
	c := maps.Clone(template)
	c["api_url_file"] = m.absPath("secrets/" + name + ".url")
	m.carryURL(name, "Slack webhook URL", a.WebhookURL, a.WebhookURLEnv)
	return amReceiver{Name: name, SlackConfigs: []map[string]any{c}}
}

// webhookReceiver sends to a webhook alerter with the bundled webhook
// settings, its headers carried where Alertmanager can send them.
func (m *migration) webhookReceiver(name string, a *Alerter, template map[string]any) amReceiver {
	c := maps.Clone(template)
	delete(c, "url")
	c["url_file"] = m.absPath("secrets/" + name + ".url")
	m.carryHeaders(name, a.Headers, c)
	m.carryURL(name, "webhook URL", a.URL, a.URLEnv)
	m.webhooks = append(m.webhooks, name)
	return amReceiver{Name: name, WebhookConfigs: []map[string]any{c}}
}

// receiversSummary says which receivers alertmanager.yml has.
func receiversSummary(receivers []amReceiver) string {
	names := make([]string, 0, len(receivers)-1)
	for _, r := range receivers[1:] {
		names = append(names, r.Name)
	}
	if len(names) == 0 {
		return "no receivers: every alert goes to null"
	}
	return "receivers " + strings.Join(names, ", ") + "; routes; templates/"
}

// alertTemplates writes the bundled message templates beside alertmanager.yml.
func (m *migration) alertTemplates() {
	templates, err := fs.Glob(alerting.Bundle, "templates/*.tmpl")
	if err != nil || len(templates) == 0 {
		panic(fmt.Sprintf("migrate: embedded templates: %v", err))
	}
	for _, t := range templates {
		m.file(t, readBundle(t), "message templates ("+path.Join("alerting", t)+")")
	}
}

// notifyRoutes sends an alert to every receiver its notify label names.
func notifyRoutes(names []string) []*amRoute {
	routes := make([]*amRoute, len(names))
	for i, name := range names {
		routes[i] = &amRoute{
			Receiver: name,
			// Anchored: "slack" matches "slack" and "ops, slack" but not "slackbot".
			Matchers: []string{fmt.Sprintf(`%s=~"(.*,)? *%s *(,.*)?"`, notifyLabel, strings.ReplaceAll(name, ".", "[.]"))},
			// continue: the next routes are tried too, so a list reaches every receiver in it.
			Continue: i < len(names)-1,
		}
	}
	return routes
}

// carryURL writes an alerter's URL to secrets/NAME.url: inline ones always,
// ones from an environment variable when it is set now.
func (m *migration) carryURL(name, what, inline, env string) {
	rel := "secrets/" + name + ".url"
	switch {
	case inline != "":
		m.secret(name+".url", inline, "inline "+what+" moved out")
	case env != "":
		if v, ok := m.opts.LookupEnv(env); ok && strings.TrimSpace(v) != "" {
			m.secret(name+".url", strings.TrimSpace(v), what+" from $"+env)
			return
		}
		m.step("Write the %s of %s (chap-checker read it from $%s, which is not set here) to %s, mode 0600, readable by Alertmanager.", what, name, env, m.absPath(rel))
	}
}

// carryHeaders moves an Authorization header to http_config with its
// credentials in a secret file; other headers are reported.
func (m *migration) carryHeaders(name string, headers map[string]string, c map[string]any) {
	for _, h := range slices.Sorted(maps.Keys(headers)) {
		key := dottedKey([]string{"alerts", name, "headers", h})
		if !strings.EqualFold(h, "Authorization") {
			m.notCarried(key, "Alertmanager 0.25 cannot add headers to webhook requests; newer ones can (http_config.http_headers): add it there by hand")
			continue
		}
		scheme, credentials, ok := strings.Cut(strings.TrimSpace(headers[h]), " ")
		credentials = strings.TrimSpace(credentials)
		switch {
		case !ok || credentials == "" || !schemeRE.MatchString(scheme):
			m.notCarried(key, "not of the form \"<scheme> <credentials>\"; set http_config by hand")
		case strings.EqualFold(scheme, "Basic"):
			user, password, ok := decodeBasic(credentials)
			if !ok {
				m.notCarried(key, "Basic credentials that are not base64 of user:password; set http_config.basic_auth by hand")
				continue
			}
			c["http_config"] = map[string]any{"basic_auth": map[string]any{
				"username":      user,
				"password_file": m.absPath(m.secret(name+".basic_password", password, "webhook Basic password from the Authorization header")),
			}}
		default:
			c["http_config"] = map[string]any{"authorization": map[string]any{
				"type":             scheme,
				"credentials_file": m.absPath(m.secret(name+".credentials", credentials, "webhook "+scheme+" credentials from the Authorization header")),
			}}
		}
	}
}

var schemeRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)

func decodeBasic(credentials string) (user, password string, ok bool) {
	raw, err := base64.StdEncoding.DecodeString(credentials)
	if err != nil {
		return "", "", false
	}
	user, password, ok = strings.Cut(string(raw), ":")
	return user, password, ok && user != "" && password != "" && printable(user)
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// bundledNotifier is the first Slack or webhook setting of the bundled
// receiver named name.
func bundledNotifier(receivers []amReceiver, name string) map[string]any {
	for _, r := range receivers {
		if configs := append(r.SlackConfigs, r.WebhookConfigs...); r.Name == name && len(configs) > 0 {
			return configs[0]
		}
	}
	panic("migrate: the bundled alertmanager.yml has no receiver " + name)
}

func readBundle(name string) []byte {
	b, err := fs.ReadFile(alerting.Bundle, name)
	if err != nil {
		panic(fmt.Sprintf("migrate: embedded %s: %v", name, err))
	}
	return b
}

const alertmanagerHeader = `# Alertmanager configuration, migrated from chap-checker by ` + "`chap_exporter migrate`" + `.
# Built on the bundled alerting/alertmanager.yml (its header explains the grouping and
# timings); run Alertmanager with --data.retention=8760h to match repeat_interval.
#
# One receiver per [alerts.NAME] of chap-checker, named NAME. An alert goes to the
# receivers its target's notify label names (the instance's alerts list):
#   - warn-level alerts (severity="info", ChapCheckWarning: a check stays warn) only to
#     receivers whose notify_on had "warn";
#   - every other alert (a check fails or errors, the exporter is down) only to receivers
#     whose notify_on had "fail" or "error";
#   - an alert no receiver takes goes to "null", which sends nothing.
# Secret URLs and credentials are files under secrets/ (mode 0600), never inline.
# Check: amtool check-config alertmanager.yml
#        amtool config routes test --config.file=alertmanager.yml notify=NAME severity=critical
`
