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
pids+=($!)
"$bin_dir/chap_exporter" --config.file="$work/chap.yml" --web.listen-address="127.0.0.1:${exporter_port}" &
pids+=($!)

for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:${exporter_port}/-/ready" >/dev/null 2>&1 && break
  sleep 0.1
done

cat <<TXT

chap_exporter is probing a simulated DHIS2 + chap-core. Try:

  curl 'localhost:${exporter_port}/probe?target=demo'              # metrics for every check
  curl 'localhost:${exporter_port}/probe?target=demo&debug=true'   # why each check passed or failed

The status page is http://localhost:${exporter_port}/ (it shows the probes
that ran: press "Probe now" on a card, or curl one of the lines above).

Break something in the simulator, then probe again:

  curl -X POST localhost:${sim_port}/__sim/scenario/chap-core-down
  curl -X POST localhost:${sim_port}/__sim/scenario/bad-credentials
  curl -X POST localhost:${sim_port}/__sim/reset                   # healthy again
  curl localhost:${sim_port}/__sim/scenarios                       # every scenario

Ctrl-C stops both.
TXT
wait -n
