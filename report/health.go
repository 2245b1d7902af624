package report

import (
	"time"

	"github.com/dhis2-chap/chap_exporter/prober"
)

// States of the health document, worst last.
const (
	StateHealthy   = "healthy"
	StateDegraded  = "degraded"
	StateUnhealthy = "unhealthy"
	StateSkipped   = "skipped"
)

// Health is one target's health, in the shape chapkit services use:
// {"status":"healthy|degraded|unhealthy","checks":{"name":{"state":...}}}.
type Health struct {
	Status          string                 `json:"status"`
	Target          string                 `json:"target"`
	DisplayName     string                 `json:"display_name"` // the target name when none is configured
	Kind            string                 `json:"kind"`
	Start           time.Time              `json:"start"`
	DurationSeconds float64                `json:"duration_seconds"`
	TimeoutSeconds  float64                `json:"timeout_seconds"`
	Checks          map[string]CheckHealth `json:"checks"`
	// Order lists the checks in run order, as a JSON object has none.
	Order []string `json:"order"`
}

// CheckHealth is one check in a Health document.
type CheckHealth struct {
	State           string            `json:"state"`
	Status          prober.Status     `json:"status"`
	Reason          prober.Reason     `json:"reason,omitempty"`
	Message         string            `json:"message,omitempty"`
	DurationSeconds float64           `json:"duration_seconds"`
	HTTPStatusCode  int               `json:"http_status_code,omitempty"`
	Version         string            `json:"version,omitempty"`
	Revision        string            `json:"revision,omitempty"`
	Subsystems      map[string]string `json:"subsystems,omitempty"`
}

// stateOf maps a check status to a health state: warn is degraded, fail and
// error are unhealthy, skipped stays skipped.
func stateOf(s prober.Status) string {
	switch s {
	case prober.StatusOK:
		return StateHealthy
	case prober.StatusWarn:
		return StateDegraded
	case prober.StatusSkipped:
		return StateSkipped
	}
	return StateUnhealthy
}

// worse returns the worse of two overall states (skipped counts as healthy).
func worse(a, b string) string {
	if rank(b) > rank(a) {
		return b
	}
	return a
}

func rank(state string) int {
	switch state {
	case StateDegraded:
		return 1
	case StateUnhealthy:
		return 2
	}
	return 0
}

// NewHealth summarises a report; the overall status is its worst check.
func NewHealth(r *prober.Report) Health {
	h := Health{
		Status:          StateHealthy,
		Target:          r.Target,
		DisplayName:     r.Label,
		Kind:            string(r.Kind),
		Start:           r.Start.UTC(),
		DurationSeconds: r.Duration.Seconds(),
		TimeoutSeconds:  r.Timeout.Seconds(),
		Checks:          make(map[string]CheckHealth, len(r.Checks)),
		Order:           make([]string, 0, len(r.Checks)),
	}
	for _, c := range r.Checks {
		state := stateOf(c.Status)
		h.Status = worse(h.Status, state)
		h.Order = append(h.Order, c.Check)
		h.Checks[c.Check] = CheckHealth{
			State:           state,
			Status:          c.Status,
			Reason:          c.Reason,
			Message:         c.Message,
			DurationSeconds: c.Duration.Seconds(),
			HTTPStatusCode:  c.HTTPStatusCode(),
			Version:         c.Version,
			Revision:        c.Revision,
			Subsystems:      c.Subsystems,
		}
	}
	return h
}

// AllOK reports whether every check of every report is ok (or skipped as
// unsupported): the one-shot check exits 0 only then, so a warning counts.
func AllOK(reports []*prober.Report) bool {
	for _, r := range reports {
		for _, c := range r.Checks {
			if c.Status != prober.StatusOK && !c.Unsupported() {
				return false
			}
		}
	}
	return true
}
