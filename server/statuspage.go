package server

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/common/version"

	"github.com/dhis2-chap/chap_exporter/prober"
)

// statusPageTemplate is the page at /: a targets × checks grid of the
// latest probe results and each target's recent results. Plain HTML and
// inline CSS, no scripts or external assets, so it works offline; every
// value goes through html/template's escaping.
var statusPageTemplate = template.Must(template.New("status").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>chap_exporter status</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1rem; color: #222; }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
p { margin: .3rem 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; }
th, td { padding: .35rem .5rem; border: 1px solid #ddd; text-align: left; vertical-align: top; }
thead th { background: #f4f4f4; font-size: .8rem; font-weight: 600; }
th.check { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; }
td.cell { text-align: center; min-width: 3.2rem; font-size: .85rem; }
.ok { background: #d8f0dc; color: #14532d; }
.warn { background: #fdf0c4; color: #713f12; }
.fail { background: #f8d3d3; color: #7f1d1d; font-weight: 600; }
.error { background: #e9d5ff; color: #4c1d95; font-weight: 600; }
.skipped { background: #e5e5e5; color: #555; }
.none { color: #999; }
small { display: block; font-size: .75rem; color: #444; overflow-wrap: anywhere; }
.muted { color: #666; font-size: .85rem; }
ul { padding-left: 1.2rem; margin: .3rem 0; }
li { margin: .15rem 0; font-size: .9rem; }
th[scope=row] { min-width: 9rem; }
.links { white-space: nowrap; }
code { background: #f4f4f4; padding: 0 .2rem; }
a { color: #1d4ed8; }
</style>
</head>
<body>
<h1>chap_exporter</h1>
<p class="muted">{{with .Version}}Version {{.}} · {{end}}{{len .Rows}} targets · results from the probes Prometheus ran (this page never probes) · page rendered {{.Now}}</p>
<div class="scroll">
<table>
<thead><tr><th>Target</th><th>Last result</th>{{range .Checks}}<th class="check" scope="col">{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>
<th scope="row">{{.Label}}{{if ne .Label .Name}}<small>{{.Name}}</small>{{end}}<small>{{.Kind}} · {{.URL}}</small><small class="links"><a href="probe?target={{.Name}}&amp;debug=true">debug</a> · <a href="status?target={{.Name}}">status</a> · <a href="probe?target={{.Name}}">metrics</a></small></th>
{{if .Probed}}<td class="{{.Overall}}">{{.Overall}}<small>{{.Age}} ago</small></td>{{else}}<td class="none">not probed yet</td>{{end}}
{{range .Cells}}<td class="cell {{.Class}}" title="{{.Title}}">{{.Text}}{{with .Version}}<small>{{.}}</small>{{end}}</td>{{end}}
</tr>
{{end}}</tbody>
</table>
</div>
<h2>Problems and recent results</h2>
{{range .Rows}}<h3 class="muted">{{.Label}}</h3>
{{with .Problems}}<ul>{{range .}}<li><span class="{{.Class}}">{{.Title}}</span> {{.Text}}</li>{{end}}</ul>{{end}}
{{if .Recent}}<ul>
{{range .Recent}}<li><span class="{{if .Success}}ok{{else}}fail{{end}}">{{if .Success}}ok{{else}}failed{{end}}</span> {{.At}} in {{.Duration}}{{range .Problems}} · {{.}}{{end}}</li>
{{end}}</ul>{{else}}<p class="muted">No probe yet.</p>{{end}}
{{end}}
<p class="muted"><a href="metrics">Exporter metrics</a> · <a href="config">Configuration</a> · <a href="sd">Service discovery</a></p>
</body>
</html>
`))

type statusPage struct {
	Version string
	Now     string
	Checks  []string
	Rows    []statusRow
}

type statusRow struct {
	Name, URL string
	Label     string // display name, else the name
	Kind      string
	Probed    bool
	Overall   string // "ok" or "fail", also the CSS class
	Age       string
	Cells     []statusCell
	// Problems are the latest result's checks that need attention, with
	// their messages, readable where hovering is not possible.
	Problems []statusCell
	Recent   []statusEntry
}

type statusCell struct {
	Class, Text, Title, Version string
}

type statusEntry struct {
	Success  bool
	At       string
	Duration string
	Problems []string
}

// handleStatusPage renders the grid from the history of probes that ran.
func (s *Server) handleStatusPage(w http.ResponseWriter, _ *http.Request) {
	st := s.state.Load()
	now := time.Now()
	page := statusPage{Version: version.Version, Now: now.UTC().Format("2006-01-02 15:04:05 UTC")}
	for _, name := range st.cfg.Names() {
		for _, c := range st.probers[name].Checks() {
			if !slices.Contains(page.Checks, c) {
				page.Checks = append(page.Checks, c)
			}
		}
	}
	for _, name := range st.cfg.Names() {
		page.Rows = append(page.Rows, s.statusRow(name, st.probers[name], page.Checks, now))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := statusPageTemplate.Execute(w, page); err != nil {
		s.logger.Error("Rendering the status page failed", "err", err)
	}
}

func (s *Server) statusRow(name string, p *prober.Prober, columns []string, now time.Time) statusRow {
	row := statusRow{Name: name, URL: p.Target().URL, Label: p.Target().Label(), Kind: string(p.Target().Kind)}
	last, entries, probed := s.history.snapshot(name)
	results := map[string]prober.Result{}
	if probed {
		row.Probed, row.Overall, row.Age = true, "fail", humanAge(now.Sub(last.End()))
		if last.Success() {
			row.Overall = "ok"
		}
		for _, c := range last.Checks {
			results[c.Check] = c
		}
	}
	selected := p.Checks()
	for _, check := range columns {
		res, ran := results[check]
		switch {
		case ran:
			title := string(res.Status)
			if res.Reason != "" {
				title += " (" + string(res.Reason) + ")"
			}
			if res.Message != "" {
				title += ": " + res.Message
			}
			row.Cells = append(row.Cells, statusCell{Class: string(res.Status), Text: string(res.Status), Title: title, Version: res.Version})
			if res.Status == prober.StatusWarn || res.Status == prober.StatusFail || res.Status == prober.StatusError {
				row.Problems = append(row.Problems, statusCell{Class: string(res.Status), Title: check, Text: res.Message})
			}
		case slices.Contains(selected, check):
			row.Cells = append(row.Cells, statusCell{Class: "none", Text: "·", Title: "no result yet"})
		default:
			row.Cells = append(row.Cells, statusCell{Class: "none", Text: "", Title: "not checked on this target"})
		}
	}
	for _, e := range entries {
		row.Recent = append(row.Recent, statusEntry{
			Success:  e.Success,
			At:       e.At.UTC().Format("2006-01-02 15:04:05"),
			Duration: e.Duration.Round(time.Millisecond).String(),
			Problems: e.Problems,
		})
	}
	return row
}

// humanAge says how old a result is in the largest sensible unit.
func humanAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(max(d, 0).Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
