#!/usr/bin/env bash
# Makes sure the real tools the tests drive are installed: Prometheus and
# promtool, Alertmanager and amtool, and Chromium for the status page test.
# As root it installs what is missing from Debian's packages; otherwise it
# stops with the exact command to run. It never skips silently: a test
# suite without its tools proves nothing.
set -euo pipefail

declare -A package_of=(
  [promtool]=prometheus
  [prometheus]=prometheus
  [prometheus-alertmanager]=prometheus-alertmanager
  [amtool]=prometheus-alertmanager
  [chromium]=chromium
)

missing=()
for tool in "${!package_of[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${package_of[$tool]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)
cmd="apt-get install -y --no-install-recommends ${packages[*]}"
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-tools: missing ${packages[*]}; install them with: sudo apt-get update && sudo $cmd" >&2
  exit 1
fi
echo "ensure-tools: installing ${packages[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
$cmd >/dev/null
