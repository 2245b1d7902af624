package prober

import "slices"

// RegisterOption changes how Register files a check.
type RegisterOption func(*registration)

// OptIn registers a check that runs only on targets that select it in
// checks:, because not every server supports it. Names leaves it out.
func OptIn() RegisterOption {
	return func(r *registration) { r.optIn = true }
}

// All returns every registered check, opt-in ones included, sorted by name.
func All() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for name := range registry {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
