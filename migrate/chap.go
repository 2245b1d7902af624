package migrate

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"path"
	"slices"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/dhis2-chap/chap_exporter/config"
)

// chapConfig renders chap.yml: one target per instance, with inline secrets
// moved to files under secrets/.
func (m *migration) chapConfig() {
	targets := map[string]*config.Target{}
	kinds := map[string]int{}
	for _, name := range slices.Sorted(maps.Keys(m.src.Instances)) {
		in := m.src.Instances[name]
		key := dottedKey([]string{"instances", name})
		if !config.ValidTargetName(name) {
			m.notCarried(key, "chap_exporter target names are [A-Za-z0-9_.-]+; add it to chap.yml and prometheus.yml under such a name")
			continue
		}
		t := &config.Target{
			Kind:   config.Kind(in.Kind),
			URL:    in.URL,
			Checks: in.Checks,
		}
		if err := config.ValidDisplayName(in.Name); err != nil {
			m.notCarried(key+".name", fmt.Sprintf("a display name %s; set display_name by hand", err))
		} else {
			t.DisplayName = in.Name
		}
		if in.TimeoutS != nil {
			timeout := secondsToDuration(*in.TimeoutS)
			if timeout > config.MaxTimeout {
				m.notCarried(key+".timeout_s", fmt.Sprintf("capped at %s, chap_exporter's longest probe budget", model.Duration(config.MaxTimeout)))
				timeout = config.MaxTimeout
			}
			t.Timeout = config.Duration(timeout)
		}
		if in.VerifyTLS != nil && !*in.VerifyTLS {
			t.TLSConfig.InsecureSkipVerify = true
		}
		m.carryAuth(name, in, &t.Auth)
		if in.RetryPolicy != nil {
			m.notCarried(key+".retry_policy", retryReason)
		}
		targets[name] = t
		kinds[in.Kind]++
	}
	if len(targets) == 0 {
		return
	}
	header := fmt.Sprintf("# chap_exporter configuration, migrated from %s by `chap_exporter migrate`.\n", path.Base(m.src.File)) +
		"# Check it: chap_exporter --config.file=chap.yml --config.check\n" +
		"# Every key: chap_exporter --config.example\n"
	summary := fmt.Sprintf("%d targets (", len(targets))
	if len(targets) == 1 {
		summary = "1 target ("
	}
	for i, k := range slices.Sorted(maps.Keys(kinds)) {
		if i > 0 {
			summary += ", "
		}
		summary += fmt.Sprintf("%d %s", kinds[k], k)
	}
	m.file("chap.yml", renderYAML(header, &config.Config{Targets: targets, UI: m.statusPage()}), summary+")")
	m.targets = targets
}

// carryAuth keeps environment variable names as they are and moves inline
// secrets to files next to chap.yml.
func (m *migration) carryAuth(name string, in *Instance, auth *config.Auth) {
	switch {
	case in.Password != "":
		auth.Username = in.Username
		auth.PasswordFile = m.secret(name+".password", in.Password, "inline password moved out")
	case in.PasswordEnv != "":
		auth.Username, auth.PasswordEnv = in.Username, in.PasswordEnv
		m.env = append(m.env, in.PasswordEnv)
	case in.Token != "":
		auth.TokenFile = m.secret(name+".token", in.Token, "inline token moved out")
	case in.TokenEnv != "":
		auth.TokenEnv = in.TokenEnv
		m.env = append(m.env, in.TokenEnv)
	}
	if (in.Token != "" || in.TokenEnv != "") && in.Username != "" {
		m.notCarried(dottedKey([]string{"instances", name, "username"}),
			"a token is sent alone (Authorization: ApiToken ...); chap_exporter takes no username with it")
	}
}

// secondsToDuration converts timeout_s, rounded to the millisecond.
func secondsToDuration(s float64) time.Duration {
	return time.Duration(math.Round(s*1000)) * time.Millisecond
}

// renderYAML is header followed by v as YAML indented by two spaces.
func renderYAML(header string, v any) []byte {
	var buf bytes.Buffer
	buf.WriteString(header)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("migrate: rendering YAML: %v", err)) // only plain values: cannot fail
	}
	return buf.Bytes()
}

// statusPage carries [ui] to the status page's ui: section: the title as it
// is and the one theme both tools have (dhis2); the old tool's terminal-style
// themes have no counterpart.
func (m *migration) statusPage() config.UI {
	var u config.UI
	if m.src.UI == nil {
		return u
	}
	if t := m.src.UI.Title; t != nil {
		if err := config.ValidUITitle(*t); err != nil {
			m.notCarried("[ui].title", fmt.Sprintf("the status page's title %s; set ui.title in chap.yml", err))
		} else {
			u.Title = *t
		}
	}
	switch theme := config.Theme(m.src.UI.Theme); {
	case theme == "":
	case theme == config.ThemeDHIS2:
		u.Theme = theme
	default:
		m.notCarried("[ui].theme", fmt.Sprintf("the status page has the themes auto (light or dark from the browser), light, dark and dhis2, not %q; set ui.theme in chap.yml", theme))
	}
	return u
}
