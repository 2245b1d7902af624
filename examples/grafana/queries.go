package grafana

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
)

// Dashboard is the part of a Grafana dashboard JSON model that the tests inspect.
type Dashboard struct {
	UID           string   `json:"uid"`
	Title         string   `json:"title"`
	Tags          []string `json:"tags"`
	SchemaVersion int      `json:"schemaVersion"`
	Editable      bool     `json:"editable"`
	Panels        []Panel  `json:"panels"`
	Templating    struct {
		List []Variable `json:"list"`
	} `json:"templating"`
}

// Panel is one dashboard panel. Rows carry their collapsed panels in Panels.
type Panel struct {
	ID          int         `json:"id"`
	Type        string      `json:"type"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Datasource  *Datasource `json:"datasource"`
	GridPos     GridPos     `json:"gridPos"`
	Targets     []Target    `json:"targets"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Panels []Panel `json:"panels"`
}

// GridPos is a panel's position on Grafana's 24-column grid.
type GridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

// Datasource references a data source by type and uid (here always the ${datasource}
// variable).
type Datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// Target is one query of a panel.
type Target struct {
	RefID      string      `json:"refId"`
	Expr       string      `json:"expr"`
	Instant    bool        `json:"instant"`
	Datasource *Datasource `json:"datasource"`
}

// Variable is one templating variable. Query is a string or, in newer Grafana versions,
// an object with a "query" field; use QueryText to read it.
type Variable struct {
	Name       string          `json:"name"`
	Label      string          `json:"label"`
	Type       string          `json:"type"`
	Datasource *Datasource     `json:"datasource"`
	Definition string          `json:"definition"`
	Query      json.RawMessage `json:"query"`
	Multi      bool            `json:"multi"`
	IncludeAll bool            `json:"includeAll"`
	AllValue   string          `json:"allValue"`
	// Refresh is when Grafana reloads the variable's values: 1 on load, 2 on time
	// range change.
	Refresh int `json:"refresh"`
}

// QueryText returns the variable's query whether it is stored as a string or as an
// object {"query": "..."}.
func (v Variable) QueryText() (string, error) {
	if len(v.Query) == 0 {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v.Query, &s); err == nil {
		return s, nil
	}
	var obj struct {
		Query string `json:"query"`
	}
	if err := json.Unmarshal(v.Query, &obj); err != nil {
		return "", fmt.Errorf("variable %q: query is neither a string nor an object: %w", v.Name, err)
	}
	return obj.Query, nil
}

// Load reads and parses a dashboard JSON file.
func Load(path string) (*Dashboard, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var d Dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &d, nil
}

// AllPanels returns the dashboard's panels, with the panels inside collapsed rows
// flattened in after their row.
func (d *Dashboard) AllPanels() []Panel {
	var out []Panel
	for _, p := range d.Panels {
		out = append(out, p)
		out = append(out, p.Panels...)
	}
	return out
}

// Query is one PromQL expression of the dashboard.
type Query struct {
	// Source names where the query comes from: `panel 3 "Versions" A` or
	// `variable instance`.
	Source string
	// Raw is the expression as written in the dashboard.
	Raw string
	// Expr is Raw with every Grafana variable replaced by a runnable value.
	Expr string
	// Instant is true when Grafana runs the query as an instant query; otherwise it is
	// a range query.
	Instant bool
}

// DefaultVars are the values Queries substitutes for Grafana variables: a time range
// of one hour, a one-minute rate interval, the example configuration's probe job and
// every target (the instance variable's All value).
var DefaultVars = map[string]string{
	"__range":         "1h",
	"__range_s":       "3600",
	"__range_ms":      "3600000",
	"__rate_interval": "1m",
	"__interval":      "30s",
	"__interval_ms":   "30000",
	"job":             "chap_probe",
	"instance":        ".+",
}

// varRef matches $name, ${name} and ${name:format} references to Grafana variables.
var varRef = regexp.MustCompile(`\$\{(\w+)(?::\w+)?\}|\$(\w+)`)

// Expand replaces every Grafana variable reference in expr with its value from vars.
// It fails on a variable that vars does not define, so a typo in the dashboard is an
// error rather than a query that silently matches nothing.
func Expand(expr string, vars map[string]string) (string, error) {
	var unknown []string
	out := varRef.ReplaceAllStringFunc(expr, func(ref string) string {
		m := varRef.FindStringSubmatch(ref)
		name := m[1] + m[2]
		v, ok := vars[name]
		if !ok {
			unknown = append(unknown, name)
			return ref
		}
		return v
	})
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return "", fmt.Errorf("unknown Grafana variable(s) %s in %q", strings.Join(unknown, ", "), expr)
	}
	return out, nil
}

// labelValues matches label_values(<series selector>, <label>), the only form of
// Prometheus variable query this dashboard uses.
var labelValues = regexp.MustCompile(`^\s*label_values\(\s*(.+?)\s*,\s*(\w+)\s*\)\s*$`)

// Queries returns every PromQL expression of the dashboard at path, panel targets first
// (in panel order) and then the query variables, with variables expanded from
// DefaultVars. A label_values(selector, label) variable becomes the instant query
// `selector`, which returns data exactly when the variable has values.
func Queries(path string) ([]Query, error) {
	return QueriesWith(path, DefaultVars)
}

// QueriesWith is Queries with caller-supplied variable values.
func QueriesWith(path string, vars map[string]string) ([]Query, error) {
	d, err := Load(path)
	if err != nil {
		return nil, err
	}
	var out []Query
	for _, p := range d.AllPanels() {
		for _, t := range p.Targets {
			source := fmt.Sprintf("panel %d %q %s", p.ID, p.Title, t.RefID)
			if strings.TrimSpace(t.Expr) == "" {
				return nil, fmt.Errorf("%s: empty expr", source)
			}
			expr, err := Expand(t.Expr, vars)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", source, err)
			}
			out = append(out, Query{Source: source, Raw: t.Expr, Expr: expr, Instant: t.Instant})
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		source := "variable " + v.Name
		q, err := v.QueryText()
		if err != nil {
			return nil, err
		}
		m := labelValues.FindStringSubmatch(q)
		if m == nil {
			return nil, fmt.Errorf("%s: unsupported query %q (want label_values(selector, label))", source, q)
		}
		expr, err := Expand(m[1], vars)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		out = append(out, Query{Source: source, Raw: q, Expr: expr, Instant: true})
	}
	return out, nil
}
