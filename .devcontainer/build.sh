#!/usr/bin/env bash
# Runs as devcontainer.json's updateContentCommand: when the container is created, and in
# the Codespaces prebuild, which caches the result. It builds every dependency, exercise
# and solution, so that the learner's first `cargo run -p checker` only has to run, not
# compile the OpenTelemetry stack. Measured on 2 cores with an empty target/: 10 minutes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "==> Toolchain"
rustc --version
cargo --version

echo "==> Building the workspace (dependencies, exercises, solutions, checker)"
# --keep-going: one crate that does not build (an exercise in progress) must not leave
# the others unbuilt; the checker reports on each exercise on its own anyway.
if ! cargo build --workspace --locked --keep-going; then
    echo "warning: some crates did not build; 'cargo run -p checker' will say which" >&2
fi

echo "==> Building the checker"
cargo build -p checker --locked

echo "==> Building the exercises together, the way the checker builds them"
# Cargo unifies the features of shared dependencies over the packages of one call, so
# the checker's call (every exercise at once) needs its own build of the crates the
# exercises share; without this step the first check would still compile them.
shopt -s nullglob
manifests=(exercises/*/Cargo.toml)
if ((${#manifests[@]})); then
    mapfile -t packages < <(awk -F'"' '/^name *=/ { print $2; nextfile }' "${manifests[@]}")
    if ! cargo build --locked --keep-going "${packages[@]/#/--package=}"; then
        echo "warning: some exercises did not build; 'cargo run -p checker' will say which" >&2
    fi
fi

cat <<'DONE'
==> Ready.
    cargo run -p checker          what to do next, and how your telemetry differs
    cargo run -p <exercise>       the service for real, its telemetry in Grafana
    Grafana: the "Grafana (traces, metrics, logs)" entry of the Ports tab (port 3300).
DONE
