#!/usr/bin/env bash
# Starts three simulators (DHIS2 + chap-core, an Open Climate Service and a
# chapkit model service) and the exporter on loopback, prints curl lines to
# try, and stops them all on Ctrl-C.
set -euo pipefail
bin_dir=${1:-.build} sim_port=${2:-8080} exporter_port=${3:-9977}
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
pids+=($!)
"$bin_dir/dhis2sim" --service=ocs --web.listen-address="127.0.0.1:${ocs_port}" &
pids+=($!)
"$bin_dir/dhis2sim" --service=chapkit --web.listen-address="127.0.0.1:${chapkit_port}" &
pids+=($!)
"$bin_dir/chap_exporter" --config.file="$work/chap.yml" --web.listen-address="127.0.0.1:${exporter_port}" &
pids+=($!)

for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:${exporter_port}/-/ready" >/dev/null 2>&1 && break
  sleep 0.1
done

cat <<TXT

chap_exporter is probing a simulated DHIS2 + chap-core (demo), an Open
Climate Service (demo-ocs) and a chapkit model service (demo-model). Try:

  curl 'localhost:${exporter_port}/probe?target=demo'                 # metrics for every check
  curl 'localhost:${exporter_port}/probe?target=demo&debug=true'      # why each check passed or failed
  curl 'localhost:${exporter_port}/probe?target=demo-ocs&debug=true'
  curl 'localhost:${exporter_port}/status?target=demo-model'
  open http://localhost:${exporter_port}/                             # status page (after a probe)

Break something in a simulator, then probe again:

  curl -X POST localhost:${sim_port}/__sim/scenario/chap-core-down
  curl -X POST localhost:${sim_port}/__sim/scenario/bad-credentials
  curl -X POST localhost:${ocs_port}/__sim/scenario/info-missing
  curl -X POST localhost:${chapkit_port}/__sim/scenario/degraded
  curl -X POST localhost:${sim_port}/__sim/reset                      # healthy again
  curl localhost:${sim_port}/__sim/scenarios                          # every scenario

Ctrl-C stops them all.
TXT
wait -n
