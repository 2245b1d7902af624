// Package config loads and validates the chap_exporter configuration file,
// and builds the one-target configuration of an ad hoc `chap_exporter check
// --url …`.
//
// Every problem is reported as an *Error that names the file, the line where
// there is one, the target and the key (or the flag); secret values never
// appear in errors. Secret files and TLS files are read at load, bounded and
// counted in the checksum, so a reload sees their changes. Config imports
// nothing of the module: callers pass the check registry's view (which
// checks exist for which kind, prober.KindsOf) as a function.
package config
