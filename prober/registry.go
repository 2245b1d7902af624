package prober

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/dhis2-chap/chap_exporter/config"
)

// Check is one link of the chain. Run must honour ctx: the probe's deadline
// is on it.
type Check interface {
	Run(ctx context.Context, s *Session) Result
}

// CheckFunc adapts a function to the Check interface.
type CheckFunc func(ctx context.Context, s *Session) Result

// Run calls f.
func (f CheckFunc) Run(ctx context.Context, s *Session) Result { return f(ctx, s) }

type registration struct {
	name     string
	requires []string
	check    Check
	// kinds maps each target kind the check applies to onto whether it
	// runs there by default (false: only when a target selects it).
	kinds map[config.Kind]bool
	// optIn lists the kinds where the check is opt-in; optInAll makes it
	// opt-in everywhere it applies.
	optIn    []config.Kind
	optInAll bool
}

// appliesTo reports whether the check may run on a target of kind k.
func (r *registration) appliesTo(k config.Kind) bool {
	_, ok := r.kinds[k]
	return ok
}

var (
	registryMu sync.RWMutex
	registry   = map[string]*registration{}
)

// Register adds a check under name; it runs only after every check in
// requires has passed (ok or warn). Every check declares the target kinds
// it applies to with AppliesTo. Call it from init; it panics on a
// duplicate or empty name, a check without kinds, or a requirement that
// does not apply to every kind of the check, as programming errors.
func Register(name string, requires []string, c Check, opts ...RegisterOption) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if name == "" || c == nil {
		panic("prober: Register needs a name and a check")
	}
	if _, dup := registry[name]; dup {
		panic("prober: check registered twice: " + name)
	}
	r := &registration{name: name, requires: slices.Clone(requires), check: c, kinds: map[config.Kind]bool{}}
	for _, opt := range opts {
		opt(r)
	}
	if len(r.kinds) == 0 {
		panic("prober: check " + name + " declares no target kind (use AppliesTo)")
	}
	for k := range r.kinds {
		r.kinds[k] = !r.optInAll && !slices.Contains(r.optIn, k)
	}
	for _, req := range r.requires {
		if dep, ok := registry[req]; ok {
			for k := range r.kinds {
				if !dep.appliesTo(k) {
					panic(fmt.Sprintf("prober: check %s applies to kind %s but requires %s, which does not", name, k, req))
				}
			}
		}
	}
	registry[name] = r
}

// Defaults returns the default checks of a target kind in run order: every
// check that applies to the kind except those opt-in there, which run
// only when a target selects them.
func Defaults(kind config.Kind) []string {
	registryMu.RLock()
	all := make([]string, 0, len(registry))
	for name, r := range registry {
		if r.kinds[kind] {
			all = append(all, name)
		}
	}
	registryMu.RUnlock()
	plan, err := planChecks(kind, all)
	if err != nil {
		panic(err) // a broken registry is a programming error
	}
	names := make([]string, len(plan))
	for i, r := range plan {
		names[i] = r.name
	}
	return names
}

// planChecks adds what the selected checks require and orders the result so
// that every check comes after its requirements (ties broken by name).
func planChecks(kind config.Kind, selected []string) ([]*registration, error) {
	return planWith(kind, selected, nil)
}

// planWith is planChecks with extra checks (a target's custom checks) that
// are looked up before the registry and apply to the target's kind.
func planWith(kind config.Kind, selected []string, extra map[string]*registration) ([]*registration, error) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	chosen, err := withRequirements(kind, selected, extra)
	if err != nil {
		return nil, err
	}
	return inRunOrder(chosen)
}

// withRequirements returns the selected checks and, transitively, every
// check they require, by name; the caller holds registryMu.
func withRequirements(kind config.Kind, selected []string, extra map[string]*registration) (map[string]*registration, error) {
	chosen := map[string]*registration{}
	var add func(name, by string) error
	add = func(name, by string) error {
		if _, done := chosen[name]; done {
			return nil
		}
		r, ok := extra[name]
		if !ok {
			r, ok = registry[name]
			if ok && !r.appliesTo(kind) {
				return fmt.Errorf("check %s does not apply to kind %s", name, kind)
			}
		}
		if !ok {
			if by != "" {
				return fmt.Errorf("check %q requires unknown check %q", by, name)
			}
			return fmt.Errorf("unknown check %q", name)
		}
		chosen[name] = r
		for _, req := range r.requires {
			if err := add(req, name); err != nil {
				return err
			}
		}
		return nil
	}
	for _, name := range selected {
		if err := add(name, ""); err != nil {
			return nil, err
		}
	}
	return chosen, nil
}

// inRunOrder orders chosen so that every check comes after its
// requirements, by Kahn's algorithm taking the smallest ready name each
// round so the order is stable.
func inRunOrder(chosen map[string]*registration) ([]*registration, error) {
	var ordered []*registration
	placed := map[string]bool{}
	for len(ordered) < len(chosen) {
		var ready []string
		for name, r := range chosen {
			if !placed[name] && allPlaced(r.requires, placed) {
				ready = append(ready, name)
			}
		}
		if len(ready) == 0 {
			return nil, fmt.Errorf("checks have a requirement cycle")
		}
		sort.Strings(ready)
		for _, name := range ready {
			placed[name] = true
			ordered = append(ordered, chosen[name])
		}
	}
	return ordered, nil
}

func allPlaced(names []string, placed map[string]bool) bool {
	for _, n := range names {
		if !placed[n] {
			return false
		}
	}
	return true
}
