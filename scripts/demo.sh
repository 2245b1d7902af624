#!/usr/bin/env bash
# Starts the DHIS2 + chap-core simulator and the exporter on loopback, prints
# curl lines to try, and stops both on Ctrl-C.
set -euo pipefail
bin_dir=${1:-.build} sim_port=${2:-8080} exporter_port=${3:-9977}

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# The demo token is made up here and handed to both sides through the
# environment: it never appears in a file or on a command line.
DEMO_DHIS2_TOKEN="d2pat_demo$(date +%s%N)"
export DEMO_DHIS2_TOKEN

cat > "$work/chap.yml" <<YAML
targets:
  demo:
    url: http://127.0.0.1:${sim_port}
    auth:
      token_env: DEMO_DHIS2_TOKEN
    timeout: 5s
YAML

"$bin_dir/dhis2sim" --web.listen-address="127.0.0.1:${sim_port}" --token-env=DEMO_DHIS2_TOKEN &
sim_pid=$!
pids+=("$sim_pid")
"$bin_dir/chap_exporter" --config.file="$work/chap.yml" --web.listen-address="127.0.0.1:${exporter_port}" &
exporter_pid=$!
pids+=("$exporter_pid")

# up NAME PID URL: waits until URL answers while PID still runs. A process that
# failed to bind exits; another program on the port would answer, so both count.
up() {
  local name=$1 pid=$2 url=$3
  for _ in $(seq 100); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "make demo: $name exited (is the port in use? make demo SIM_PORT=... DEMO_PORT=... moves them)" >&2
      exit 1
    fi
    curl -fs "$url" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "make demo: $name did not answer $url within 10s" >&2
  exit 1
}
up dhis2sim "$sim_pid" "http://127.0.0.1:${sim_port}/__sim/state"
up chap_exporter "$exporter_pid" "http://127.0.0.1:${exporter_port}/-/ready"

cat <<TXT

chap_exporter is probing a simulated DHIS2 + chap-core at http://127.0.0.1:${sim_port}
(it also accepts user admin, password district). Try:

  curl 'localhost:${exporter_port}/probe?target=demo'              # metrics for every check
  curl 'localhost:${exporter_port}/probe?target=demo&debug=true'   # why each check passed or failed

Break something in the simulator, then probe again:

  curl -X POST localhost:${sim_port}/__sim/scenario/chap-core-down
  curl -X POST localhost:${sim_port}/__sim/scenario/bad-credentials     # replaces chap-core-down
  curl -X POST localhost:${sim_port}/__sim/reset                        # healthy again
  curl localhost:${sim_port}/__sim/scenarios                            # every scenario

Ctrl-C stops both.
TXT
wait -n
