package server

import (
	"html/template"
	"net/http"

	"github.com/prometheus/common/version"
)

var landingTemplate = template.Must(template.New("landing").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>chap_exporter</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1rem; max-width: 60rem; }
table { border-collapse: collapse; }
td, th { padding: .3rem .8rem; border-bottom: 1px solid #ddd; text-align: left; }
code { background: #f4f4f4; padding: 0 .2rem; }
</style>
</head>
<body>
<h1>chap_exporter</h1>
<p>Probes DHIS2 servers and the chap-core behind their <code>chap</code> route. Version {{.Version}}.</p>
<h2>Targets</h2>
<table>
<tr><th>Target</th><th>URL</th><th>Checks</th><th></th></tr>
{{range .Targets}}<tr><td>{{.Name}}</td><td>{{.URL}}</td><td>{{.Checks}}</td>
<td><a href="probe?target={{.Name}}">metrics</a> · <a href="probe?target={{.Name}}&amp;debug=true">debug</a></td></tr>
{{end}}</table>
<p><a href="metrics">Exporter metrics</a> · <a href="config">Configuration</a></p>
</body>
</html>
`))

type landingTarget struct {
	Name, URL string
	Checks    int
}

func (s *Server) handleLanding(w http.ResponseWriter, _ *http.Request) {
	st := s.state.Load()
	data := struct {
		Version string
		Targets []landingTarget
	}{Version: version.Version}
	for _, name := range st.cfg.Names() {
		data.Targets = append(data.Targets, landingTarget{Name: name, URL: st.cfg.Targets[name].URL, Checks: len(st.probers[name].Checks())})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = landingTemplate.Execute(w, data)
}
