#!/usr/bin/env bash
# Runs as devcontainer.json's updateContentCommand: when the container is created (the
# editor is already open then: read the README and the slides meanwhile), and in a
# Codespaces prebuild, which caches the result. It builds every dependency, exercise and
# solution, so that the learner's first `cargo run -p checker` only has to run, not
# compile the OpenTelemetry stack, then rust-analyzer's first check. Measured on 2 cores
# with an empty target/: about 10 minutes for the builds (README.md in this folder).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
started=$(date +%s)

cat <<'START'
==> Building the lab (about 10 minutes on 2 cores). The editor is yours meanwhile: read
    README.md and slides/lab.md (Marp preview). "Ready" below says when it is done.
START
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
# --bins --tests: as the checker's call when the track has an exercise graded by its tests
# (20): every exercise's binary, and that exercise's integration tests.
if ! cargo build --workspace --locked --keep-going --bins --tests --manifest-path exercises/Cargo.toml; then
    echo "warning: some exercises did not build; 'cargo run -p checker' will say which" >&2
fi

echo "==> rust-analyzer's first check, into its own target/rust-analyzer"
# What rust-analyzer runs when it opens a workspace ("rust-analyzer.cargo.targetDir": true
# puts it in target/rust-analyzer), done here so that its first check does not take the
# two cores from the learner's first build. If the editor's rust-analyzer is already at it,
# cargo waits for it and then finds the work done.
for manifest in Cargo.toml exercises/Cargo.toml; do
    cargo check --workspace --all-targets --locked --keep-going --quiet \
        --manifest-path "$manifest" --target-dir target/rust-analyzer \
        || echo "warning: rust-analyzer's check of $manifest failed; the editor will show why" >&2
done

cat <<DONE
==> Ready ($(( ($(date +%s) - started) / 60 )) min). Everything is built.
    cargo run -p checker          what to do next, and how your telemetry differs
    cargo run -p checker -- run N the service of exercise N for real, its telemetry in Grafana
    Grafana: the "Grafana (traces, metrics, logs)" entry of the Ports tab (port 3300).
DONE
