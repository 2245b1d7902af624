package grafana_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dhis2-chap/chap_exporter/examples/grafana"
)

// dashboardPath is the dashboard under test, relative to this package's directory.
const dashboardPath = "chap-overview.json"

// datasourceUID is what every panel and target must use: the dashboard's data source
// variable, so the dashboard works with whatever Prometheus the user picks on import.
const datasourceUID = "${datasource}"

func load(t *testing.T) *grafana.Dashboard {
	t.Helper()
	d, err := grafana.Load(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDashboardIsValidJSON parses the file without the typed model too, so syntax errors
// and trailing garbage are reported with the decoder's own message.
func TestDashboardIsValidJSON(t *testing.T) {
	data, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s is not valid JSON: %v", dashboardPath, err)
	}
}

func TestDashboardMetadata(t *testing.T) {
	d := load(t)
	if d.UID != "chap-overview" {
		t.Errorf("uid = %q, want chap-overview (links and provisioning rely on it)", d.UID)
	}
	if strings.TrimSpace(d.Title) == "" {
		t.Error("title is empty")
	}
	if len(d.Tags) == 0 {
		t.Error("no tags")
	}
	for _, tag := range []string{"chap", "dhis2"} {
		if !slices.Contains(d.Tags, tag) {
			t.Errorf("tags %v lack %q", d.Tags, tag)
		}
	}
	if d.SchemaVersion < 36 || d.SchemaVersion > 41 {
		t.Errorf("schemaVersion = %d, want about 39 (Grafana 10/11)", d.SchemaVersion)
	}
	if len(d.AllPanels()) == 0 {
		t.Fatal("no panels")
	}
}

func TestPanels(t *testing.T) {
	d := load(t)
	ids := map[int]string{}
	for _, p := range d.AllPanels() {
		name := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if p.ID <= 0 {
			t.Errorf("%s: id must be positive", name)
		}
		if other, dup := ids[p.ID]; dup {
			t.Errorf("%s: id already used by %q", name, other)
		}
		ids[p.ID] = p.Title
		if strings.TrimSpace(p.Title) == "" {
			t.Errorf("%s: empty title", name)
		}
		if p.Type == "row" {
			continue
		}
		checkDatasource(t, name, p.Datasource)
		if len(p.Targets) == 0 {
			t.Errorf("%s: no targets", name)
		}
		refIDs := map[string]bool{}
		for _, tg := range p.Targets {
			tname := name + " target " + tg.RefID
			if tg.RefID == "" || refIDs[tg.RefID] {
				t.Errorf("%s: refId empty or repeated", tname)
			}
			refIDs[tg.RefID] = true
			checkDatasource(t, tname, tg.Datasource)
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("%s: empty expr", tname)
			}
		}
	}
}

func checkDatasource(t *testing.T, name string, ds *grafana.Datasource) {
	t.Helper()
	if ds == nil {
		t.Errorf("%s: no datasource", name)
		return
	}
	if ds.UID != datasourceUID || ds.Type != "prometheus" {
		t.Errorf("%s: datasource = %+v, want type prometheus, uid %s", name, *ds, datasourceUID)
	}
}

// TestGridPos checks that every panel lies on the 24-column grid and that no two panels
// overlap.
func TestGridPos(t *testing.T) {
	d := load(t)
	panels := d.Panels // top level only: collapsed rows' panels have their own layout
	for i, p := range panels {
		g := p.GridPos
		if g.W < 1 || g.H < 1 || g.X < 0 || g.Y < 0 || g.X+g.W > 24 {
			t.Errorf("panel %d %q: gridPos %+v is off the 24-column grid", p.ID, p.Title, g)
		}
		for _, q := range panels[i+1:] {
			if overlap(g, q.GridPos) {
				t.Errorf("panels %d %q and %d %q overlap: %+v, %+v", p.ID, p.Title, q.ID, q.Title, g, q.GridPos)
			}
		}
	}
}

func overlap(a, b grafana.GridPos) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

func TestTemplating(t *testing.T) {
	d := load(t)
	vars := map[string]grafana.Variable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}

	ds, ok := vars["datasource"]
	if !ok {
		t.Fatal("no datasource variable")
	}
	if q, err := ds.QueryText(); err != nil || ds.Type != "datasource" || q != "prometheus" {
		t.Errorf("datasource variable: type %q query %q (%v), want type datasource query prometheus", ds.Type, q, err)
	}

	// Both come from chap_check_status, which only chap_exporter exports, so no
	// blackbox_exporter job or target is offered. The job variable has no All option:
	// All would be .+ (the linter's allValue) and let other exporters' series of the
	// same name (probe_success, probe_ssl_earliest_cert_expiry) into the panels.
	for _, want := range []struct {
		name, query string
		includeAll  bool
	}{
		{"job", "label_values(chap_check_status, job)", false},
		{"instance", `label_values(chap_check_status{job=~"$job"}, instance)`, true},
	} {
		v, ok := vars[want.name]
		if !ok {
			t.Errorf("no %s variable", want.name)
			continue
		}
		q, err := v.QueryText()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			what      string
			got, want any
		}{
			{"type", v.Type, "query"},
			{"query", q, want.query},
			{"multi", v.Multi, true},
			{"includeAll", v.IncludeAll, want.includeAll},
			{"allValue", v.AllValue, ".+"},
		} {
			if c.got != c.want {
				t.Errorf("%s variable %s = %v, want %v", want.name, c.what, c.got, c.want)
			}
		}
		checkDatasource(t, want.name+" variable", v.Datasource)
	}
}

// TestQueries extracts every expression the way the end-to-end test does and checks
// that nothing is left unexpanded and that the dashboard covers the exporter's metrics.
func TestQueries(t *testing.T) {
	d := load(t)
	qs, err := grafana.Queries(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	targets := 0
	for _, p := range d.AllPanels() {
		targets += len(p.Targets)
	}
	if want := targets + 2; len(qs) != want { // + the job and instance variables
		t.Errorf("Queries returned %d queries, want %d (every target and the job and instance variables)", len(qs), want)
	}
	for _, q := range qs {
		if strings.Contains(q.Expr, "$") {
			t.Errorf("%s: unexpanded variable in %q", q.Source, q.Expr)
		}
	}

	// The panels the issue asks for, by the metric they must query.
	for _, want := range []struct{ panel, pattern string }{
		{"status grid", `chap_check_status\{`},
		{"versions", `chap_check_version_info\{`},
		{"probe duration", `probe_duration_seconds\{`},
		{"check duration", `chap_check_duration_seconds\{`},
		{"availability over the range", `avg_over_time\(probe_success\{[^}]*\}\[1h\]\)`},
		{"failure reasons", `chap_check_failure_info\{`},
		{"certificate expiry", `probe_ssl_earliest_cert_expiry\{`},
		{"job variable", `^chap_check_status$`},
		{"instance variable", `^chap_check_status\{job=~"chap_probe"\}$`},
	} {
		re := regexp.MustCompile(want.pattern)
		found := false
		for _, q := range qs {
			found = found || re.MatchString(q.Expr)
		}
		if !found {
			t.Errorf("no query for the %s (pattern %s)", want.panel, want.pattern)
		}
	}
}

func TestExpand(t *testing.T) {
	vars := map[string]string{"__range": "1h", "__rate_interval": "1m", "instance": ".*"}
	tests := []struct {
		name, expr, want string
		wantErr          bool
	}{
		{"plain", `up`, `up`, false},
		{"dollar name", `x{instance=~"$instance"}`, `x{instance=~".*"}`, false},
		{"braces", `x{instance=~"${instance}"}`, `x{instance=~".*"}`, false},
		{"braces with format", `x{instance=~"${instance:regex}"}`, `x{instance=~".*"}`, false},
		{"range and rate interval", `rate(x[$__rate_interval]) + avg_over_time(y[$__range])`, `rate(x[1m]) + avg_over_time(y[1h])`, false},
		{"longest name wins", `x[$__range_s]`, ``, true},
		{"unknown variable", `x{instance=~"$instnace"}`, ``, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := grafana.Expand(tt.expr, vars)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Expand(%q) error = %v, wantErr %v", tt.expr, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Expand(%q) = %q, want %q", tt.expr, got, tt.want)
			}
		})
	}
}

func TestVariableQueryText(t *testing.T) {
	tests := []struct {
		name, raw, want string
		wantErr         bool
	}{
		{"string", `"label_values(up, job)"`, "label_values(up, job)", false},
		{"object", `{"query": "label_values(up, job)", "refId": "X"}`, "label_values(up, job)", false},
		{"absent", ``, "", false},
		{"number", `42`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := grafana.Variable{Name: "v", Query: json.RawMessage(tt.raw)}
			got, err := v.QueryText()
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("QueryText() = %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
