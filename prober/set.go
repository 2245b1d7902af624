package prober

import "github.com/dhis2-chap/chap_exporter/config"

// Set is the probers of one configuration, by target name.
type Set map[string]*Prober

// NewSet builds the prober of every target of cfg, in name order, all
// sharing hosts and opts: the server builds one per loaded configuration
// and the check command one per run. On error it closes those it built.
func NewSet(cfg *config.Config, hosts *HostLimiter, opts Options) (Set, error) {
	set := make(Set, len(cfg.Targets))
	for _, name := range cfg.Names() {
		p, err := New(cfg.Targets[name], hosts, opts)
		if err != nil {
			set.Close()
			return nil, err
		}
		set[name] = p
	}
	return set, nil
}

// Close closes every prober of the set.
func (s Set) Close() {
	for _, p := range s {
		p.Close()
	}
}
