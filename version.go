package chapexporter

import (
	_ "embed"
	"runtime/debug"
	"strings"

	"github.com/prometheus/common/version"
)

//go:embed VERSION
var versionFile string

// SetVersion fills in prometheus/common/version.Version when the build did not set it
// with -ldflags (make build and promu do): `go install module/cmd/...@vX.Y.Z` reports
// the module version it was installed at, and a build in a checkout
// (`go install ./cmd/...`) the VERSION file, like make build.
func SetVersion() {
	if version.Version != "" {
		return
	}
	version.Version = fallbackVersion(debug.ReadBuildInfo())
}

// fallbackVersion is the version to report for a build without -ldflags, given its
// build information.
func fallbackVersion(info *debug.BuildInfo, ok bool) string {
	if ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return strings.TrimPrefix(info.Main.Version, "v")
	}
	return strings.TrimSpace(versionFile)
}
