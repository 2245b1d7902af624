#!/usr/bin/env bash
# Starts three simulators (DHIS2 + chap-core, an Open Climate Service and a
# chapkit model service) and the exporter on loopback, prints curl lines to
# try, and stops them all on Ctrl-C.
set -euo pipefail
bin_dir=${1:-.build} sim_port=${2:-8080} exporter_port=${3:-9977}
# curl waits for each server below, and the lines printed at the end use it.
if ! command -v curl >/dev/null 2>&1; then
  echo "make demo: curl not found; install it (sudo apt-get install curl)" >&2
  exit 1
fi
ocs_port=$((sim_port + 1)) chapkit_port=$((sim_port + 2))

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
    display_name: Demo HMIS
    url: http://127.0.0.1:${sim_port}
    auth:
      token_env: DEMO_DHIS2_TOKEN
    timeout: 5s
  demo-ocs:
    kind: ocs
    display_name: Demo climate service
    url: http://127.0.0.1:${ocs_port}
  demo-model:
    kind: chapkit
    url: http://127.0.0.1:${chapkit_port}
YAML

"$bin_dir/dhis2sim" --web.listen-address="127.0.0.1:${sim_port}" --token-env=DEMO_DHIS2_TOKEN &
sim_pid=$!
pids+=("$sim_pid")
"$bin_dir/dhis2sim" --service=ocs --web.listen-address="127.0.0.1:${ocs_port}" &
ocs_pid=$!
pids+=("$ocs_pid")
"$bin_dir/dhis2sim" --service=chapkit --web.listen-address="127.0.0.1:${chapkit_port}" &
chapkit_pid=$!
pids+=("$chapkit_pid")
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
up "dhis2sim --service=ocs" "$ocs_pid" "http://127.0.0.1:${ocs_port}/__sim/state"
up "dhis2sim --service=chapkit" "$chapkit_pid" "http://127.0.0.1:${chapkit_port}/__sim/state"
up chap_exporter "$exporter_pid" "http://127.0.0.1:${exporter_port}/-/ready"

cat <<TXT

chap_exporter is probing a simulated DHIS2 + chap-core (demo, at
http://127.0.0.1:${sim_port}, which also accepts user admin, password district), an
Open Climate Service (demo-ocs) and a chapkit model service (demo-model). Try:

  curl 'localhost:${exporter_port}/probe?target=demo'                 # metrics for every check
  curl 'localhost:${exporter_port}/probe?target=demo&debug=true'      # why each check passed or failed
  curl 'localhost:${exporter_port}/probe?target=demo-ocs&debug=true'
  curl 'localhost:${exporter_port}/status?target=demo-model'
  open http://localhost:${exporter_port}/                             # status page: the probes that ran; "Probe now" on a card

Break something in a simulator, then probe again:

  curl -X POST localhost:${sim_port}/__sim/scenario/chap-core-down
  curl -X POST localhost:${sim_port}/__sim/scenario/bad-credentials     # replaces chap-core-down
  curl -X POST localhost:${ocs_port}/__sim/scenario/info-missing
  curl -X POST localhost:${chapkit_port}/__sim/scenario/degraded
  curl -X POST localhost:${sim_port}/__sim/reset                        # healthy again
  curl localhost:${sim_port}/__sim/scenarios                            # every scenario

Ctrl-C stops them all.
TXT
wait -n
