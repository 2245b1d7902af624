package migrate

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/dhis2-chap/chap_exporter/config"
)

// Addresses prometheus.yml assumes: the exporter's and Alertmanager's defaults on this host.
const (
	exporterAddress     = "127.0.0.1:9977"
	alertmanagerAddress = "127.0.0.1:9093"
)

// Scrape timings: the bundled rules' for: 2m means 4 failed probes at 30s.
const (
	scrapeInterval = 30 * time.Second
	// minScrapeTimeout is the example configuration's; longer target timeouts raise it.
	minScrapeTimeout = 25 * time.Second
)

// Labels prometheus.yml puts on each /probe target.
const (
	notifyLabel      = "notify"
	displayNameLabel = "display_name"
)

type promConfig struct {
	Global struct {
		ScrapeInterval     model.Duration `yaml:"scrape_interval"`
		EvaluationInterval model.Duration `yaml:"evaluation_interval"`
	} `yaml:"global"`
	RuleFiles []string `yaml:"rule_files"`
	Alerting  struct {
		Alertmanagers []promStatic `yaml:"alertmanagers"`
	} `yaml:"alerting"`
	ScrapeConfigs []promScrape `yaml:"scrape_configs"`
}

type promStatic struct {
	StaticConfigs []promTargets `yaml:"static_configs"`
}

type promTargets struct {
	Targets []string          `yaml:"targets,flow"`
	Labels  map[string]string `yaml:"labels,omitempty"`
}

type promScrape struct {
	JobName        string         `yaml:"job_name"`
	MetricsPath    string         `yaml:"metrics_path,omitempty"`
	ScrapeInterval model.Duration `yaml:"scrape_interval,omitempty"`
	ScrapeTimeout  model.Duration `yaml:"scrape_timeout,omitempty"`
	StaticConfigs  []promTargets  `yaml:"static_configs"`
	RelabelConfigs []promRelabel  `yaml:"relabel_configs,omitempty"`
}

type promRelabel struct {
	SourceLabels []string `yaml:"source_labels,omitempty,flow"`
	TargetLabel  string   `yaml:"target_label"`
	Replacement  string   `yaml:"replacement,omitempty"`
}

// prometheusConfig renders prometheus.yml, with the bundled rules next to it.
func (m *migration) prometheusConfig() {
	if m.targets == nil {
		return
	}
	var cfg promConfig
	cfg.Global.ScrapeInterval = model.Duration(scrapeInterval)
	cfg.Global.EvaluationInterval = model.Duration(scrapeInterval)
	cfg.RuleFiles = []string{"rules.yml"}
	cfg.Alerting.Alertmanagers = []promStatic{{StaticConfigs: []promTargets{{Targets: []string{alertmanagerAddress}}}}}

	probe := promScrape{JobName: "chap_probe", MetricsPath: "/probe", ScrapeTimeout: model.Duration(minScrapeTimeout)}
	notifyAll := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(m.targets)) {
		in := m.src.Instances[name]
		group := promTargets{Targets: []string{name}, Labels: map[string]string{}}
		if len(in.Alerts) > 0 {
			group.Labels[notifyLabel] = strings.Join(in.Alerts, ",")
			for _, a := range in.Alerts {
				notifyAll[a] = true
			}
		}
		if name := m.targets[name].DisplayName; name != "" {
			group.Labels[displayNameLabel] = name
		}
		probe.StaticConfigs = append(probe.StaticConfigs, group)
		probe.ScrapeTimeout = max(probe.ScrapeTimeout, scrapeTimeoutFor(m.targets[name]))
	}
	if time.Duration(probe.ScrapeTimeout) > scrapeInterval {
		probe.ScrapeInterval = probe.ScrapeTimeout
	}
	probe.RelabelConfigs = []promRelabel{
		{SourceLabels: []string{"__address__"}, TargetLabel: "__param_target"},
		{SourceLabels: []string{"__param_target"}, TargetLabel: "instance"},
		{TargetLabel: "__address__", Replacement: exporterAddress},
	}
	self := promScrape{JobName: "chap_exporter", StaticConfigs: []promTargets{{Targets: []string{exporterAddress}}}}
	if len(notifyAll) > 0 {
		self.StaticConfigs[0].Labels = map[string]string{notifyLabel: strings.Join(slices.Sorted(maps.Keys(notifyAll)), ",")}
	}
	cfg.ScrapeConfigs = []promScrape{probe, self}

	m.file("prometheus.yml", renderYAML(prometheusHeader, &cfg), "/probe job, notify labels from each instance's alerts")
	m.file("rules.yml", readBundle("rules.yml"), "the bundled alerting rules (alerting/rules.yml)")
	m.step("prometheus.yml scrapes the exporter at %s and sends alerts to Alertmanager at %s; change the addresses if they run elsewhere. Check it: promtool check config %s", exporterAddress, alertmanagerAddress, m.outPath("prometheus.yml"))
}

// scrapeTimeoutFor is the target's probe budget rounded up to whole seconds,
// plus a second: more than the exporter's 0.5s offset.
func scrapeTimeoutFor(t *config.Target) model.Duration {
	budget := time.Duration(t.Timeout)
	if budget == 0 {
		budget = config.DefaultTimeout
	}
	return model.Duration((budget + time.Second - 1).Truncate(time.Second) + time.Second)
}

const prometheusHeader = `# Prometheus configuration, migrated from chap-checker by ` + "`chap_exporter migrate`" + `.
#
# chap_probe scrapes the exporter's /probe?target=NAME once per former instance; the
# relabelling makes the target name the instance label. A target's notify label is its
# instance's alerts list (alertmanager.yml routes on it); no label means no message.
# display_name is the instance's name. chap_exporter is the exporter's own /metrics;
# its notify label names every alerter in use, so all of them hear when checking stops.
# rules.yml is the bundled alerting/rules.yml. Check: promtool check config prometheus.yml
`
