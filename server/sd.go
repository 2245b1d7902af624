package server

import (
	"encoding/json"
	"maps"
	"net/http"
)

// sdGroup is one target group of Prometheus's http_sd_configs format.
type sdGroup struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels"`
}

// handleSD lists every configured target, with its labels, for
// http_sd_configs: Prometheus names the exporter once and never repeats
// the target list. The target is the name /probe takes; kind and
// display_name (when set) come as labels too, unless the target's own
// labels: set them.
func (s *Server) handleSD(w http.ResponseWriter, _ *http.Request) {
	cfg := s.Config()
	groups := make([]sdGroup, 0, len(cfg.Targets))
	for _, name := range cfg.Names() {
		t := cfg.Targets[name]
		labels := map[string]string{"kind": string(t.Kind)}
		if t.DisplayName != "" {
			labels["display_name"] = t.DisplayName
		}
		maps.Copy(labels, t.Labels)
		groups = append(groups, sdGroup{Targets: []string{name}, Labels: labels})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(groups)
}
