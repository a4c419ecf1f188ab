#!/usr/bin/env bash
# Determinism, measured rather than assumed: RUNS consecutive `verify --no-cache` runs, each
# followed by the whole track's JSON report (every starter's differences and likely causes,
# the words a learner reads), must be byte-identical. With --beside-build, a cold cargo build
# of the workspace (in a target folder of its own) runs beside them the whole time, as on a
# shared, busy machine.
#
#   checker/tests/determinism.sh [RUNS] [--beside-build]      (RUNS defaults to 15)
#
# Prints one line per run and a summary; exits 1 at the first output that differs from run 1
# (and shows the diff). Not part of `cargo test`: it takes RUNS times a full verify.
set -uo pipefail
cd "$(dirname "$0")/../.."

runs=${1:-15}
beside=${2:-}
out=$(mktemp -d)
beside_pid=""
cleanup() {
  if [ -n "$beside_pid" ]; then
    kill -- "-$beside_pid" 2>/dev/null
    wait "$beside_pid" 2>/dev/null
  fi
  rm -rf "$out/beside-target"
}
trap cleanup EXIT

echo "building the checker and every exercise once (not measured)..."
cargo build -q -p checker || exit 2
cargo run -q -p checker -- verify > /dev/null 2>&1

if [ "$beside" = "--beside-build" ]; then
  # A process group of its own, so that exactly this build loop is stopped at the end.
  setsid bash -c "while true; do rm -rf '$out/beside-target'; CARGO_TARGET_DIR='$out/beside-target' cargo build -q --workspace > /dev/null 2>&1; done" &
  beside_pid=$!
  echo "a cold workspace build runs beside the checks (process group $beside_pid)"
fi

start=$(date +%s)
for i in $(seq 1 "$runs"); do
  t0=$(date +%s)
  cargo run -q -p checker -- verify --no-cache > "$out/verify.$i" 2>&1
  echo "exit $?" >> "$out/verify.$i"
  cargo run -q -p checker -- --no-cache --format json > "$out/track.$i" 2>&1
  t1=$(date +%s)
  for kind in verify track; do
    if ! cmp -s "$out/$kind.1" "$out/$kind.$i"; then
      echo "run $i: the $kind output differs from run 1:"
      diff "$out/$kind.1" "$out/$kind.$i" | head -40
      exit 1
    fi
  done
  busy=""
  if [ -n "$beside_pid" ]; then
    busy="; beside: $(ps -o comm= -g "$beside_pid" | grep -c -E '^(rustc|cargo|cc|ld)') build processes"
  fi
  echo "run $i/$runs: identical to run 1 ($((t1 - t0)) s; verify $(sha256sum < "$out/verify.$i" | cut -c1-12), track $(sha256sum < "$out/track.$i" | cut -c1-12)$busy)"
done
echo "determinism: $runs/$runs runs byte-identical ($(tail -n 2 "$out/verify.1" | head -n 1)); $(( $(date +%s) - start )) s in all"
