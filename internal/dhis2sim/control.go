package dhis2sim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

// controlPrefix starts every control API path. DHIS2 has nothing there, so
// control requests cannot collide with simulated ones.
const controlPrefix = "/__sim/"

// maxControlBody bounds control request bodies; a State is a few hundred bytes.
const maxControlBody = 1 << 20

// controlMux serves the control API. It needs no credentials and is not
// recorded, so tests can steer the simulator without disturbing what they measure.
func (s *Sim) controlMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /__sim/state", s.replyState)
	mux.HandleFunc("PUT /__sim/state", s.changeState(func(b []byte, st *State) error {
		*st = State{}
		return json.Unmarshal(b, st)
	}))
	mux.HandleFunc("PATCH /__sim/state", s.changeState(func(b []byte, st *State) error {
		return json.Unmarshal(b, st) // onto the current state: a merge
	}))
	mux.HandleFunc("POST /__sim/scenario/{name}", s.setScenario)
	mux.HandleFunc("GET /__sim/scenarios", listScenarios)
	mux.HandleFunc("POST /__sim/reset", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		s.replyState(w, r)
	})
	mux.HandleFunc("GET /__sim/requests", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, chapJSON, append([]Request{}, s.Requests()...)) // [] rather than null when empty
	})
	mux.HandleFunc("DELETE /__sim/requests", func(w http.ResponseWriter, _ *http.Request) {
		s.ClearRequests()
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

// setScenario replaces the state with the named scenario, so setting a
// second one does not silently keep the first; ?add=true stacks it on top
// instead.
func (s *Sim) setScenario(w http.ResponseWriter, r *http.Request) {
	add := r.URL.Query().Get("add")
	if add != "" && add != "true" && add != "false" {
		badRequest(w, fmt.Errorf("add=%q: want true or false", add))
		return
	}
	err := s.update(func(st *State) error {
		if add != "true" {
			*st = State{}
		}
		return ApplyScenario(st, r.PathValue("name"))
	})
	if err != nil {
		badRequest(w, err)
		return
	}
	s.replyState(w, r)
}

// listScenarios answers a JSON array of the scenarios' names and
// descriptions, one scenario per line: people read this list with curl.
func listScenarios(w http.ResponseWriter, _ *http.Request) {
	var b strings.Builder
	b.WriteString("[\n")
	for i, sc := range Scenarios() {
		if i > 0 {
			b.WriteString(",\n")
		}
		line, err := json.Marshal(struct {
			Name        string `json:"name"`
			Description string `json:"description"`
		}{sc.Name, sc.Description})
		if err != nil {
			panic(fmt.Errorf("dhis2sim: scenario does not marshal: %w", err)) // strings always marshal
		}
		b.Write(line)
	}
	b.WriteString("\n]\n")
	writeBody(w, http.StatusOK, chapJSON, b.String())
}

func (s *Sim) replyState(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, chapJSON, s.State())
}

// changeState returns a handler that applies the request body to the state
// with apply and answers the new state; on any error nothing changes.
func (s *Sim) changeState(apply func([]byte, *State) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxControlBody))
		if err == nil {
			err = s.update(func(st *State) error { return apply(b, st) })
		}
		if err != nil {
			badRequest(w, fmt.Errorf("state: %w", err))
			return
		}
		s.replyState(w, r)
	}
}

// badRequest answers 400 with the error on one line, for curl users.
func badRequest(w http.ResponseWriter, err error) {
	http.Error(w, strings.ReplaceAll(err.Error(), "\n", " "), http.StatusBadRequest)
}

// validate rejects states that would silently do nothing, such as a fault
// on a misspelt endpoint.
func (st State) validate() error {
	for ep := range st.Faults {
		if !slices.Contains(Endpoints(), ep) {
			return fmt.Errorf("unknown endpoint %q (valid: %s)", ep, joinEndpoints())
		}
	}
	switch st.ChapCoreLayout {
	case "", LayoutCurrent, LayoutV12, LayoutV11:
		return nil
	}
	return fmt.Errorf("unknown chap_core_layout %q (valid: %s, %s, %s)", st.ChapCoreLayout, LayoutCurrent, LayoutV12, LayoutV11)
}

func joinEndpoints() string {
	var names []string
	for _, ep := range Endpoints() {
		names = append(names, string(ep))
	}
	return strings.Join(names, ", ")
}
