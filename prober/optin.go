package prober

import (
	"slices"

	"github.com/dhis2-chap/chap_exporter/config"
)

// RegisterOption changes how Register files a check.
type RegisterOption func(*registration)

// AppliesTo declares the target kinds a check may run on. A target of
// another kind cannot select it, and config rejects it there.
func AppliesTo(kinds ...config.Kind) RegisterOption {
	return func(r *registration) {
		for _, k := range kinds {
			r.kinds[k] = true
		}
	}
}

// OptIn registers a check that runs only on targets that select it in
// checks:, because not every server supports it: on the given kinds, or
// on every kind it applies to when none is given. Names leaves it out there.
func OptIn(kinds ...config.Kind) RegisterOption {
	return func(r *registration) {
		if len(kinds) == 0 {
			r.optInAll = true
		}
		r.optIn = append(r.optIn, kinds...)
	}
}

// All returns every registered check, opt-in ones included, sorted by name.
func All() []string {
	return ForKind("")
}

// ForKind returns the checks a target of kind may select, opt-in ones
// included, sorted by name; every check when kind is "".
func ForKind(kind config.Kind) []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for name, r := range registry {
		if kind == "" || r.appliesTo(kind) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// KindsOf returns the target kinds a check applies to, in config.Kinds
// order, or nil when no check is registered under name. Pass it to
// config.Load, which does not own the list of checks.
func KindsOf(name string) []config.Kind {
	registryMu.RLock()
	defer registryMu.RUnlock()
	r, ok := registry[name]
	if !ok {
		return nil
	}
	var kinds []config.Kind
	for _, k := range config.Kinds {
		if r.appliesTo(k) {
			kinds = append(kinds, k)
		}
	}
	return kinds
}
