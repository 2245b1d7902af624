#!/usr/bin/env bash
# Makes sure the Prometheus and Alertmanager tools used by `make test` are installed:
# promtool, prometheus, prometheus-alertmanager, amtool (Debian package names
# prometheus and prometheus-alertmanager). When one is missing it installs them with apt
# if running as root, otherwise it prints the exact command and fails. It never skips.
set -euo pipefail

tools=(promtool prometheus prometheus-alertmanager amtool)
install_cmd="apt-get install -y --no-install-recommends prometheus prometheus-alertmanager"

missing_tools() {
	local t
	for t in "${tools[@]}"; do
		command -v "$t" >/dev/null 2>&1 || printf '%s\n' "$t"
	done
}

echo "ensure-tools: checking ${tools[*]}"
missing=$(missing_tools)
if [[ -n "$missing" ]]; then
	echo "ensure-tools: missing: $(echo $missing)"
	if [[ "$(id -u)" -ne 0 ]]; then
		echo "ensure-tools: not root; install them with:" >&2
		echo "  sudo apt-get update && sudo $install_cmd" >&2
		exit 1
	fi
	echo "ensure-tools: running apt-get update && $install_cmd"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	$install_cmd
	missing=$(missing_tools)
	if [[ -n "$missing" ]]; then
		echo "ensure-tools: still missing after install: $(echo $missing)" >&2
		exit 1
	fi
fi

for t in "${tools[@]}"; do
	echo "ensure-tools: $t -> $(command -v "$t")"
done

# keep_firing_for in alerting/rules.yml needs Prometheus 2.42 or later.
version=$(promtool --version 2>&1 | sed -n 's/^promtool, version \([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p')
major=${version%%.*}
minor=${version#*.}
if [[ -z "$version" ]] || ((major < 2 || (major == 2 && minor < 42))); then
	echo "ensure-tools: promtool version '${version:-unknown}' is older than 2.42 (no keep_firing_for)" >&2
	exit 1
fi
echo "ensure-tools: promtool $version ok (>= 2.42)"
