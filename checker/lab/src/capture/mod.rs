//! The capture harness: runs a service's own telemetry setup and handlers with in-memory
//! exporters, drives a scenario through it in-process, and writes what was emitted as a
//! [`Document`](telemetry_document::Document) for the checker.
//!
//! It runs inside the exercise's own process (the checker starts the exercise's binary
//! with [`CAPTURE_OUT`] set), so a panic, a hang or a `process::exit` in learner code
//! never reaches the checker, and global providers never leak between exercises.

pub mod normalise;
pub mod scenario;

use std::path::Path;
use std::process::ExitCode;

use telemetry_document::Document;

use crate::{Edge, Service};
pub use scenario::Scenario;

/// Environment variable with the file the document is written to; its presence puts an
/// exercise's binary in capture mode.
pub const CAPTURE_OUT: &str = "LAB_CAPTURE_OUT";
/// Environment variable naming the scenario to drive (default: `distance`).
pub const SCENARIO: &str = "LAB_SCENARIO";

/// Runs the capture and exits the process (leftover threads of the learner's code must
/// not keep it alive: the checker would report a timeout for finished work).
pub fn main<S: Service>(out: &Path) -> ExitCode {
    let name = std::env::var(SCENARIO).unwrap_or_else(|_| scenario::DISTANCE.name.to_string());
    let Some(scenario) = scenario::named(&name) else {
        eprintln!("lab: unknown scenario `{name}`");
        return ExitCode::from(2);
    };
    let document = capture::<S>(scenario);
    let tmp = out.with_extension("partial");
    if let Err(e) = std::fs::write(&tmp, document.to_json()).and_then(|_| std::fs::rename(&tmp, out)) {
        eprintln!("lab: cannot write the capture to {}: {e}", out.display());
        std::process::exit(3);
    }
    std::process::exit(0)
}

/// Runs `S` through `scenario` with in-memory exporters and returns what it emitted,
/// normalised (timings included; snapshots drop them).
pub fn capture<S: Service>(scenario: &Scenario) -> Document {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    let document = {
        let _inside = runtime.enter();
        let (edge, captured) = Edge::capture();
        let telemetry = S::telemetry(edge);
        let requests = runtime.block_on(scenario.run::<S>(&telemetry));
        // Only the service's own way out flushes: no `force_flush` first, so telemetry that
        // its shutdown forgets (a batch processor never flushed) is missing, as it would be.
        S::shutdown(&telemetry);
        normalise::document(&captured, requests)
    };
    runtime.shutdown_background();
    document
}
