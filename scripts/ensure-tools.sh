#!/usr/bin/env bash
# Makes sure the real tools the tests drive are installed: Prometheus and
# promtool, Alertmanager and amtool, Chromium for the status page test, podman
# for the container image test, docker-compose for the compose example,
# systemd-analyze for the systemd unit, curl for make demo (scripts/demo.sh, which
# TestDemo runs), and the CA certificates the image ships.
# (make test-current adds current upstream Prometheus and Alertmanager builds:
# scripts/current-tools.sh.)
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
  [podman]=podman
  [docker-compose]=docker-compose
  [systemd-analyze]=systemd
  [curl]=curl
  [/etc/ssl/certs/ca-certificates.crt]=ca-certificates
)

missing_packages() {
  local tool
  for tool in "${!package_of[@]}"; do
    if [[ "$tool" == /* ]]; then
      [ -e "$tool" ] || echo "${package_of[$tool]}"
    else
      command -v "$tool" >/dev/null 2>&1 || echo "${package_of[$tool]}"
    fi
  done | sort -u
}

mapfile -t packages < <(missing_packages)
if [ ${#packages[@]} -gt 0 ]; then
  cmd="apt-get install -y --no-install-recommends ${packages[*]}"
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-tools: missing ${packages[*]}; install them with: sudo apt-get update && sudo $cmd" >&2
    exit 1
  fi
  echo "ensure-tools: installing ${packages[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  $cmd >/dev/null
  mapfile -t packages < <(missing_packages)
  if [ ${#packages[@]} -gt 0 ]; then
    echo "ensure-tools: still missing after install: ${packages[*]}" >&2
    exit 1
  fi
fi

# keep_firing_for in alerting/rules.yml needs Prometheus 2.42 or later.
version=$(promtool --version 2>&1 | sed -n 's/^promtool, version \([0-9][0-9]*\.[0-9][0-9]*\).*/\1/p')
major=${version%%.*}
minor=${version#*.}
if [ -z "$version" ] || [ "$major" -lt 2 ] || { [ "$major" -eq 2 ] && [ "$minor" -lt 42 ]; }; then
  echo "ensure-tools: promtool version '${version:-unknown}' is older than 2.42 (no keep_firing_for)" >&2
  exit 1
fi
