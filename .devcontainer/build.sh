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

echo "==> Building the lab's workspace (dependencies, checker, solutions)"
if ! cargo build --workspace --locked --keep-going; then
    echo "warning: some of the lab's crates did not build; 'cargo run -p checker' will say more" >&2
fi
cargo build -p checker --locked

echo "==> Building the exercises, the way the checker builds them"
# The exercises are a workspace of their own (exercises/Cargo.toml), built in one call as
# the checker builds them: cargo unifies the features of shared dependencies over the
# packages of one call, so any other grouping would leave the first check compiling.
# --keep-going: one exercise that does not build (work in progress) must not leave the
# others unbuilt; the checker reports on each exercise on its own anyway.
if ! cargo build --workspace --locked --keep-going --manifest-path exercises/Cargo.toml; then
    echo "warning: some exercises did not build; 'cargo run -p checker' will say which" >&2
fi

cat <<'DONE'
==> Ready.
    cargo run -p checker          what to do next, and how your telemetry differs
    cargo run -p checker -- run N the service of exercise N for real, its telemetry in Grafana
    Grafana: the "Grafana (traces, metrics, logs)" entry of the Ports tab (port 3300).
DONE
