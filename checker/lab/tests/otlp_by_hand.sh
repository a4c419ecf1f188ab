#!/usr/bin/env bash
# The by-hand version of tests/otlp_collector.rs: serve a solution for real, exporting over
# OTLP to a rotel collector that prints everything it receives, and show what arrived.
#
#   pip install --pre rotel
#   checker/lab/tests/otlp_by_hand.sh [package] [http|grpc]
#
# Defaults: ex01-resource-solution over http. Uses 127.0.0.1:4317/4318 (rotel) and
# 3000/3001 (the service), like the dev container; set ROTEL_AGENT to use another rotel.
set -euo pipefail

package=${1:-ex01-resource-solution}
protocol=${2:-http}
case $protocol in
http) endpoint=http://127.0.0.1:4318 ;;
grpc) endpoint=http://127.0.0.1:4317 ;;
*) echo "protocol: http or grpc, not $protocol" >&2; exit 2 ;;
esac

agent=${ROTEL_AGENT:-}
if [[ -z $agent ]]; then
    dir=$(python3 -c 'import rotel, os; print(os.path.dirname(rotel.__file__))' 2>/dev/null) || {
        echo "rotel not found: pip install --pre rotel (or set ROTEL_AGENT)" >&2
        exit 1
    }
    agent=$dir/rotel-agent
fi

cd "$(dirname "$0")/../../.."
cargo build --quiet -p "$package"
scratch=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$scratch"' EXIT

"$agent" start --otlp-grpc-endpoint 127.0.0.1:4317 --otlp-http-endpoint 127.0.0.1:4318 \
    --exporter blackhole --debug-log traces --debug-log metrics --debug-log logs \
    --debug-log-verbosity detailed --pid-file "$scratch/rotel.pid" --log-file "$scratch/rotel-agent.log" \
    >"$scratch/rotel.log" 2>&1 &
pids+=($!)
sleep 1

OTEL_EXPORTER_OTLP_ENDPOINT=$endpoint OTEL_EXPORTER_OTLP_PROTOCOL=$([[ $protocol == grpc ]] && echo grpc || echo http/protobuf) \
    cargo run --quiet -p "$package" 2>"$scratch/service.log" &
service=$!
pids+=($service)
for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:3000/ && break; sleep 0.2; done
for place in paris atlantis tokyo; do
    curl -s --max-time 10 "http://127.0.0.1:3000/distance/$place"
    echo
done
kill -INT "$service"
wait "$service" || true
sleep 1
echo "--- the service said:"
cat "$scratch/service.log"
echo "--- rotel received:"
cat "$scratch/rotel.log"
