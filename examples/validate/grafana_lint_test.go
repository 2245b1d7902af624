package validate

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dhis2-chap/chap_exporter/examples/grafana"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// The default rules of Grafana's dashboard linter (github.com/grafana/dashboard-linter),
// written as a test because the linter's module cannot be installed here. Each rule
// keeps the linter's name and checks what the linter checks, with Prometheus's own
// PromQL parser; where the project wants more (a unit on every panel, not only on the
// linter's panel types; an uneditable dashboard), the rule says so.

const dashboardFile = "../grafana/chap-overview.json"

// variable returns the dashboard's variable name, or nil.
func variable(d *grafana.Dashboard, name string) *grafana.Variable {
	for i := range d.Templating.List {
		if d.Templating.List[i].Name == name {
			return &d.Templating.List[i]
		}
	}
	return nil
}

// query is the variable's query text (an unreadable query is an empty one, which the
// rules then report).
func query(v grafana.Variable) string {
	q, _ := v.QueryText()
	return q
}

// lintRule is one linter rule: it returns its findings for the dashboard.
type lintRule struct {
	name  string
	check func(d *grafana.Dashboard) []string
}

var lintRules = []lintRule{
	{"template-datasource-rule", func(d *grafana.Dashboard) []string {
		for _, v := range d.Templating.List {
			if v.Type != "datasource" {
				continue
			}
			if v.Name != "datasource" && v.Name != "prometheus_datasource" {
				return []string{fmt.Sprintf("data source variable named %q, want datasource", v.Name)}
			}
			if v.Label != "Data source" && v.Label != "Prometheus data source" {
				return []string{fmt.Sprintf("data source variable labelled %q, want Data source", v.Label)}
			}
			if query(v) != "prometheus" {
				return []string{fmt.Sprintf("data source variable query %q, want prometheus", query(v))}
			}
			return nil
		}
		return []string{"no templated data source"}
	}},
	{"template-job-rule", func(d *grafana.Dashboard) []string { return checkTemplate(d, "job") }},
	{"template-instance-rule", func(d *grafana.Dashboard) []string { return checkTemplate(d, "instance") }},
	{"template-label-promql-rule", func(d *grafana.Dashboard) []string {
		var out []string
		for _, v := range d.Templating.List {
			if v.Type != "query" {
				continue
			}
			m := labelValuesQuery.FindStringSubmatch(query(v))
			if m == nil {
				continue // not a label_values query: nothing to parse
			}
			if _, err := parsePromQL(m[1]); err != nil {
				out = append(out, fmt.Sprintf("variable %s: %v", v.Name, err))
			}
		}
		return out
	}},
	{"template-on-time-change-reload-rule", func(d *grafana.Dashboard) []string {
		var out []string
		for _, v := range d.Templating.List {
			if v.Type == "query" && v.Refresh != 2 {
				out = append(out, fmt.Sprintf("variable %s refreshes %d, want 2 (on time range change)", v.Name, v.Refresh))
			}
		}
		return out
	}},
	{"panel-datasource-rule", forPanels(func(_ *grafana.Dashboard, p grafana.Panel) string {
		if p.Type == "row" {
			return ""
		}
		if p.Datasource == nil || !slices.Contains([]string{"$datasource", "${datasource}"}, p.Datasource.UID) {
			return fmt.Sprintf("datasource %+v, want uid $datasource", p.Datasource)
		}
		return ""
	})},
	{"panel-title-description-rule", forPanels(func(_ *grafana.Dashboard, p grafana.Panel) string {
		if p.Type == "row" {
			return ""
		}
		if strings.TrimSpace(p.Title) == "" || strings.TrimSpace(p.Description) == "" {
			return "missing title or description"
		}
		return ""
	})},
	// The linter checks stat, singlestat, graph, table, timeseries and gauge panels;
	// this project wants a unit on every panel with data.
	{"panel-units-rule", forPanels(func(_ *grafana.Dashboard, p grafana.Panel) string {
		if p.Type == "row" {
			return ""
		}
		if !slices.Contains(grafanaUnits, p.FieldConfig.Defaults.Unit) {
			return fmt.Sprintf("no or invalid unit %q", p.FieldConfig.Defaults.Unit)
		}
		return ""
	})},
	{"panel-no-targets-rule", forPanels(func(_ *grafana.Dashboard, p grafana.Panel) string {
		if p.Type != "row" && p.Type != "text" && len(p.Targets) == 0 {
			return "no targets"
		}
		return ""
	})},
	{"target-promql-rule", forTargets(func(expr parser.Expr, err error) string {
		if err != nil {
			return err.Error()
		}
		return ""
	})},
	{"target-rate-interval-rule", forTargets(func(expr parser.Expr, err error) string {
		if err != nil {
			return ""
		}
		return inspect(expr, func(n parser.Node, path []parser.Node) string {
			ms, ok := n.(*parser.MatrixSelector)
			if !ok || ms.Range == rateIntervalPlaceholder || len(path) == 0 {
				return ""
			}
			if call, ok := path[len(path)-1].(*parser.Call); ok && (call.Func.Name == "rate" || call.Func.Name == "irate") {
				return "rate/irate should use $__rate_interval: " + ms.String()
			}
			return ""
		})
	})},
	{"target-job-rule", forTargets(requireMatcher("job"))},
	{"target-instance-rule", forTargets(requireMatcher("instance"))},
	{"target-counter-agg-rule", forTargets(func(expr parser.Expr, err error) string {
		if err != nil {
			return ""
		}
		return inspect(expr, func(n parser.Node, path []parser.Node) string {
			vs, ok := n.(*parser.VectorSelector)
			if !ok || !strings.HasSuffix(vs.Name, "_total") {
				return ""
			}
			if len(path) >= 2 {
				_, ranged := path[len(path)-1].(*parser.MatrixSelector)
				call, isCall := path[len(path)-2].(*parser.Call)
				if ranged && isCall && slices.Contains([]string{"rate", "irate", "increase"}, call.Func.Name) {
					return ""
				}
			}
			return "counter " + vs.Name + " is not aggregated with rate, irate or increase"
		})
	})},
	// Not among the linter's defaults before its v2 rules, but part of the same
	// guidance: a provisioned dashboard is changed in its source, not in Grafana.
	{"uneditable-rule", func(d *grafana.Dashboard) []string {
		if d.Editable {
			return []string{"editable is true"}
		}
		return nil
	}},
}

// grafanaUnits are Grafana unit ids (a subset of the linter's list: the general,
// time, throughput and data units).
var grafanaUnits = []string{
	"none", "string", "short", "percent", "percentunit", "bool", "bool_yes_no", "bool_on_off",
	"ns", "µs", "ms", "s", "m", "h", "d", "dtdurationms", "dtdurations", "dthms", "dtdhms",
	"dateTimeAsIso", "dateTimeAsIsoNoDateIfToday", "dateTimeAsUS", "dateTimeAsLocal", "dateTimeFromNow",
	"cps", "ops", "reqps", "rps", "wps", "iops", "cpm", "opm", "rpm", "wpm",
	"bytes", "decbytes", "bits", "decbits", "Bps", "bps",
}

// checkTemplate is the linter's check of the job and instance variables.
func checkTemplate(d *grafana.Dashboard, name string) []string {
	v := variable(d, name)
	if v == nil {
		return []string{"missing the " + name + " template"}
	}
	var out []string
	if v.Datasource == nil || !slices.Contains([]string{"$datasource", "${datasource}"}, v.Datasource.UID) {
		out = append(out, name+" template should use datasource $datasource")
	}
	if v.Type != "query" {
		out = append(out, name+" template should be a Prometheus query")
	}
	if want := strings.ToUpper(name[:1]) + name[1:]; v.Label != want {
		out = append(out, fmt.Sprintf("%s template should be labelled %q, is %q", name, want, v.Label))
	}
	if !v.Multi {
		out = append(out, name+" template should be a multi select")
	}
	if v.AllValue != ".+" {
		out = append(out, fmt.Sprintf("%s template allValue should be '.+', is %q", name, v.AllValue))
	}
	return out
}

var labelValuesQuery = regexp.MustCompile(`^\s*label_values\(\s*(.+?)\s*,\s*\w+\s*\)\s*$`)

// variableRef matches $var and ${var} outside double quotes is decided by expand.
var variableRef = regexp.MustCompile(`"[^"]*"|\$\{(\w+)(?::\w+)?\}|\$(\w+)`)

// Placeholders for Grafana's interval variables: distinct durations, so that a range
// can be told apart (the linter does the same).
const rateIntervalPlaceholder = 4711 * time.Second

var durationPlaceholders = map[string]time.Duration{
	"__rate_interval": rateIntervalPlaceholder,
	"__interval":      4712 * time.Second,
	"__range":         4713 * time.Second,
}

// parsePromQL parses expr the way the linter does: variables inside double quotes
// stay as written (so instance=~"$instance" is the matcher value "$instance"),
// interval variables become placeholder durations, others placeholder names.
func parsePromQL(expr string) (parser.Expr, error) {
	expanded := variableRef.ReplaceAllStringFunc(expr, func(ref string) string {
		if strings.HasPrefix(ref, `"`) {
			return ref
		}
		m := variableRef.FindStringSubmatch(ref)
		name := m[1] + m[2]
		if d, ok := durationPlaceholders[name]; ok {
			return fmt.Sprintf("%ds", int(d.Seconds()))
		}
		return "placeholder_" + name
	})
	return promql.ParseExpr(expanded)
}

func forPanels(check func(d *grafana.Dashboard, p grafana.Panel) string) func(*grafana.Dashboard) []string {
	return func(d *grafana.Dashboard) []string {
		var out []string
		for _, p := range d.AllPanels() {
			if msg := check(d, p); msg != "" {
				out = append(out, fmt.Sprintf("panel %d %q: %s", p.ID, p.Title, msg))
			}
		}
		return out
	}
}

func forTargets(check func(expr parser.Expr, err error) string) func(*grafana.Dashboard) []string {
	return func(d *grafana.Dashboard) []string {
		var out []string
		for _, p := range d.AllPanels() {
			for _, t := range p.Targets {
				expr, err := parsePromQL(t.Expr)
				if msg := check(expr, err); msg != "" {
					out = append(out, fmt.Sprintf("panel %d %q target %s: %s", p.ID, p.Title, t.RefID, msg))
				}
			}
		}
		return out
	}
}

// requireMatcher: every selector of the query has name=~"$name".
func requireMatcher(name string) func(parser.Expr, error) string {
	return func(expr parser.Expr, err error) string {
		if err != nil {
			return ""
		}
		for _, sel := range parser.ExtractSelectors(expr) {
			found := false
			for _, m := range sel {
				if m.Name == name && m.Type == labels.MatchRegexp && m.Value == "$"+name {
					found = true
				}
			}
			if !found {
				return fmt.Sprintf("selector %v has no %s=~\"$%s\" matcher", sel, name, name)
			}
		}
		return ""
	}
}

// inspect walks expr and returns the first finding of check.
func inspect(expr parser.Expr, check func(parser.Node, []parser.Node) string) string {
	var finding string
	parser.Inspect(expr, func(n parser.Node, path []parser.Node) error {
		if finding == "" {
			finding = check(n, path)
		}
		return nil
	})
	return finding
}

func loadLintDashboard(t *testing.T, data []byte) *grafana.Dashboard {
	t.Helper()
	var d grafana.Dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	return &d
}

func TestDashboardPassesLinterRules(t *testing.T) {
	d, err := grafana.Load(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.AllPanels()) == 0 {
		t.Fatal("no panels")
	}
	for _, r := range lintRules {
		t.Run(r.name, func(t *testing.T) {
			for _, finding := range r.check(d) {
				t.Error(finding)
			}
		})
	}
}

// TestLinterRulesFindProblems lints a dashboard with one mistake per rule (the
// dashboard's mistakes before it was scoped to chap's jobs, and a few more) and expects
// every rule to report.
func TestLinterRulesFindProblems(t *testing.T) {
	bad := loadLintDashboard(t, []byte(`{
	  "title": "bad", "editable": true,
	  "templating": {"list": [
	    {"name": "ds", "label": "Source", "type": "datasource", "query": "prometheus"},
	    {"name": "instance", "label": "Target", "type": "query", "datasource": {"uid": "prom"},
	     "query": "label_values(probe_success{, instance)", "multi": true, "allValue": ".*", "refresh": 1}
	  ]},
	  "panels": [
	    {"id": 1, "type": "timeseries", "title": "no description", "datasource": {"uid": "prom"},
	     "targets": [{"refId": "A", "expr": "probe_success{instance=~\"$instance\"}"},
	                 {"refId": "B", "expr": "probe_duration_seconds{job=~\"$job\"}"}]},
	    {"id": 2, "type": "timeseries", "title": "t", "description": "d", "datasource": {"uid": "${datasource}"},
	     "fieldConfig": {"defaults": {"unit": "reqps"}},
	     "targets": [{"refId": "A", "expr": "rate(chap_exporter_probes_total{job=~\"$job\", instance=~\"$instance\"}[5m]) + chap_exporter_probes_total{job=~\"$job\", instance=~\"$instance\"}"},
	                 {"refId": "B", "expr": "sum(("}]},
	    {"id": 3, "type": "stat", "title": "t", "description": "d", "datasource": {"uid": "${datasource}"}}
	  ]
	}`))
	for _, r := range lintRules {
		if len(r.check(bad)) == 0 {
			t.Errorf("%s found nothing in a dashboard that breaks it", r.name)
		}
	}
}
