#!/usr/bin/env bash
# Builds the current upstream Prometheus, promtool, Alertmanager and amtool from the Go
# module proxy into a cache outside the repository, once, and reuses them afterwards.
# Debian 12 packages Prometheus 2.42 and Alertmanager 0.25 (2023); `make test-current`
# runs the alerting tests against these builds as well.
#
#   scripts/current-tools.sh build   build whatever is missing (prints what it does)
#   scripts/current-tools.sh path    build whatever is missing, then print a PATH prefix
#                                    (two directories, colon-separated) that shadows the
#                                    Debian tools with the current ones
#
# Cache: $CHAP_TOOLS_CACHE, default ${XDG_CACHE_HOME:-$HOME/.cache}/chap_exporter/tools,
# one directory per tool and version, published only when the build succeeded.
# Timings measured on 2 cores are in the README ("Tested versions").
set -euo pipefail

# Pinned versions. Prometheus module versions v0.3XX.Y are Prometheus 3.XX.Y.
PROMETHEUS_MODULE_VERSION=v0.316.0
PROMETHEUS_VERSION=3.16.0
ALERTMANAGER_VERSION=0.35.0

cache=${CHAP_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/chap_exporter/tools}
prometheus_dir=$cache/prometheus-$PROMETHEUS_VERSION
alertmanager_dir=$cache/alertmanager-$ALERTMANAGER_VERSION

log() { printf 'current-tools: %s\n' "$*" >&2; }

# version_ldflags VERSION: the -X flags the upstream release builds set, so that
# `--version` prints the real version (go install leaves it empty).
version_ldflags() {
	printf -- '-X github.com/prometheus/common/version.Version=%s -X github.com/prometheus/common/version.Branch=HEAD -X github.com/prometheus/common/version.BuildUser=chap_exporter-current-tools' "$1"
}

# publish TMP DIR: moves a finished build into place, atomically for concurrent callers.
publish() {
	local tmp=$1 dir=$2
	if ! mv -T "$tmp" "$dir" 2>/dev/null; then
		# Another run published the same version first; keep theirs.
		rm -rf "$tmp"
	fi
}

build_prometheus() {
	[ -x "$prometheus_dir/bin/prometheus" ] && [ -x "$prometheus_dir/bin/promtool" ] && return 0
	local tmp start
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/.prometheus-XXXXXX")
	start=$(date +%s)
	trap 'rm -rf "$tmp"' EXIT
	log "building prometheus and promtool $PROMETHEUS_VERSION ($PROMETHEUS_MODULE_VERSION) into $prometheus_dir"
	# Without the builtinassets tag the web UI is left out; the HTTP API, which the tests
	# use, is complete. remove_all_sd leaves out the cloud and Kubernetes service
	# discovery (most of the build time); static, file and http discovery, which the
	# tests and examples use, stay.
	GOBIN=$tmp/bin GOFLAGS=-buildvcs=false nice go install -trimpath -tags remove_all_sd \
		-ldflags "$(version_ldflags "$PROMETHEUS_VERSION")" \
		"github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_MODULE_VERSION" \
		"github.com/prometheus/prometheus/cmd/prometheus@$PROMETHEUS_MODULE_VERSION"
	publish "$tmp" "$prometheus_dir"
	trap - EXIT
	log "prometheus $PROMETHEUS_VERSION built in $(($(date +%s) - start)) s"
}

build_alertmanager() {
	[ -x "$alertmanager_dir/bin/prometheus-alertmanager" ] && [ -x "$alertmanager_dir/bin/amtool" ] && return 0
	local tmp start src
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/.alertmanager-XXXXXX")
	start=$(date +%s)
	trap 'rm -rf "$tmp"' EXIT
	log "building alertmanager and amtool $ALERTMANAGER_VERSION into $alertmanager_dir"
	# `go install .../cmd/alertmanager@v0.35.0` fails: the module embeds ui/app/dist, the
	# compiled web UI, which is not in the module zip. Build from a copy of the module
	# source with placeholder UI pages instead; the API and notification paths are
	# unaffected.
	src=$(go mod download -json "github.com/prometheus/alertmanager@v$ALERTMANAGER_VERSION" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -d "$src" ] || {
		log "go mod download gave no source directory for alertmanager v$ALERTMANAGER_VERSION"
		exit 1
	}
	cp -r "$src" "$tmp/src"
	chmod -R u+w "$tmp/src"
	local ui
	for ui in elm mantine; do
		mkdir -p "$tmp/src/ui/app/dist/$ui"
		printf '<!doctype html><title>Alertmanager</title><p>Web UI not built (chap_exporter test build).</p>\n' \
			>"$tmp/src/ui/app/dist/$ui/index.html"
	done
	(
		cd "$tmp/src"
		GOFLAGS=-buildvcs=false nice go build -trimpath -ldflags "$(version_ldflags "$ALERTMANAGER_VERSION")" \
			-o "$tmp/bin/" ./cmd/alertmanager ./cmd/amtool
	)
	rm -rf "$tmp/src"
	# Debian names the server prometheus-alertmanager; the same name here lets this
	# directory shadow Debian's on PATH.
	ln -s alertmanager "$tmp/bin/prometheus-alertmanager"
	publish "$tmp" "$alertmanager_dir"
	trap - EXIT
	log "alertmanager $ALERTMANAGER_VERSION built in $(($(date +%s) - start)) s"
}

# check_version DIR VERSION BIN...: each binary answers --version with the pinned
# version, so that a stale or foreign cache entry cannot pass for the current tools.
check_version() {
	local dir=$1 want="version $2 " bin
	shift 2
	for bin in "$@"; do
		"$dir/bin/$bin" --version 2>&1 | grep -q "$want" || {
			log "$dir/bin/$bin does not report $want; remove $dir and rebuild"
			exit 1
		}
	done
}

check_versions() {
	check_version "$prometheus_dir" "$PROMETHEUS_VERSION" prometheus promtool
	check_version "$alertmanager_dir" "$ALERTMANAGER_VERSION" prometheus-alertmanager amtool
}

case "${1:-}" in
build)
	build_prometheus
	build_alertmanager
	check_versions
	;;
path)
	build_prometheus
	build_alertmanager
	check_versions
	printf '%s:%s\n' "$prometheus_dir/bin" "$alertmanager_dir/bin"
	;;
*)
	echo "usage: $0 build|path" >&2
	exit 2
	;;
esac
