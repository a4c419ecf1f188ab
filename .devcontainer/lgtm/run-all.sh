#!/usr/bin/env bash
# The lgtm service's command (docker-compose.yml): starts the image's own run-all.sh with
# its readiness check for Grafana pointed at the port Grafana listens on here.
#
# run-all.sh (grafana/docker-otel-lgtm v0.31.0, docker/run-all.sh:92) polls
# http://127.0.0.1:3000/api/health every second until Grafana answers. Here Grafana is on
# $GF_SERVER_HTTP_PORT (3300), and 3000 is the learner's distance service on the shared
# localhost: unchanged, the loop would never end, poll the learner's service every second,
# and stop the whole backend if Grafana ever exited (its fail-fast check, :151-161).
# checker/tests/devcontainer.rs runs this script on the upstream lines it rewrites.
set -euo pipefail

run_all="${LGTM_RUN_ALL:-/otel-lgtm/run-all.sh}"
port="${GF_SERVER_HTTP_PORT:-3000}"
upstream='services["grafana"]="http://127.0.0.1:3000/api/health"'
here="services[\"grafana\"]=\"http://127.0.0.1:${port}/api/health\""

script="$(<"$run_all")"
cd "$(dirname "$run_all")" # run-all.sh starts ./run-grafana.sh and the others
if [[ $script != *"$upstream"* ]]; then
    # A newer image changed the line: start it as it is (the backend works, the loop may
    # not end) rather than not at all, and say so in the container's log.
    echo "lab: $run_all no longer has the line $upstream; started unchanged" >&2
    exec bash "$run_all"
fi
exec bash -c "${script/"$upstream"/"$here"}" "$run_all"
