// Package chapexporter holds the release version of chap_exporter (the
// VERSION file, embedded), so that builds without the Makefile's -ldflags
// still report one. It imports nothing of the module.
package chapexporter
