//! The capture harness: runs a service's own telemetry setup and handlers with in-memory
//! exporters, drives a scenario through it in-process, and writes what was emitted as a
//! [`Document`](telemetry_document::Document) for the checker.
//!
//! It runs inside the exercise's own process (the checker starts the exercise's binary
//! with [`CAPTURE_OUT`] set), so a panic, a hang or a `process::exit` in learner code
//! never reaches the checker, and global providers never leak between exercises.

pub mod normalise;
pub mod receiver;
pub mod scenario;
pub mod wire;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use telemetry_document::{CaptureFacts, Document, EnvCapture};

use crate::service::marks;
use crate::{Edge, Service};
pub use scenario::Run;
pub use scenario::Scenario;

/// Environment variable with the file the document is written to; its presence puts an
/// exercise's binary in capture mode.
pub const CAPTURE_OUT: &str = "LAB_CAPTURE_OUT";
/// Environment variable naming the scenario to drive (default: `distance`).
pub const SCENARIO: &str = "LAB_SCENARIO";
/// Set in the process of a scenario's capture under the operator's variables (see
/// [`Scenario::env_captures`]).
const SECOND_CAPTURE: &str = "LAB_SECOND_CAPTURE";

/// The batch processors' and the periodic reader's schedules under the checker: longer
/// than any capture, so that what is exported before the service shuts down depends on
/// its processors only, never on how loaded the machine is (the thread-based batch
/// processors and the periodic reader of the SDK 0.33 read these when built).
const SCHEDULES: &[(&str, &str)] = &[
    ("OTEL_BSP_SCHEDULE_DELAY", "3600000"),
    ("OTEL_BLRP_SCHEDULE_DELAY", "3600000"),
    ("OTEL_METRIC_EXPORT_INTERVAL", "3600000"),
];

/// Runs the capture and exits the process (leftover threads of the learner's code must
/// not keep it alive: the checker would report a timeout for finished work).
pub fn main<S: Service>(out: &Path) -> ExitCode {
    let name = std::env::var(SCENARIO).unwrap_or_else(|_| scenario::DISTANCE.name.to_string());
    let Some(scenario) = scenario::named(&name) else {
        eprintln!("lab: unknown scenario `{name}`");
        return ExitCode::from(2);
    };
    for (key, value) in SCHEDULES {
        // SAFETY: the process has one thread yet (nothing of the service has started).
        unsafe { std::env::set_var(key, value) };
    }
    // Over the wire: the capture's own OTLP receiver, and the variables that point the
    // service's exporters at it.
    let wire = if scenario.over_the_wire() {
        let (receiver, listener) = match receiver::Receiver::bind() {
            Ok(bound) => bound,
            Err(e) => {
                eprintln!("lab: cannot start the capture's OTLP receiver on 127.0.0.1: {e}");
                return ExitCode::from(2);
            }
        };
        for (key, value) in receiver.env() {
            // SAFETY: as above, the process has one thread yet.
            unsafe { std::env::set_var(key, value) };
        }
        Some((receiver, listener))
    } else {
        None
    };
    // The scenario again under the operator's variables, each in a process of its own,
    // started once the variables above are set (no thread may race `set_var`) and run
    // beside this capture: they are independent of it, and their time is the learner's
    // wait. Their results are taken in the scenario's order.
    let env_runs: Vec<_> = if std::env::var_os(SECOND_CAPTURE).is_none() {
        scenario
            .env_captures
            .iter()
            .enumerate()
            .map(|(i, env)| {
                let stem = out.file_stem().unwrap_or_default().to_string_lossy();
                let out = out.with_file_name(format!("{stem}-second-{i}.json"));
                std::thread::spawn(move || env_capture(env, &out))
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut document = match wire {
        Some((receiver, listener)) => capture_over_the_wire::<S>(scenario, &receiver, listener),
        None => capture::<S>(scenario),
    };
    for run in env_runs {
        let mut again = run.join().unwrap_or_else(|_| EnvCapture {
            failed: Some("the second run's thread panicked".to_string()),
            ..EnvCapture::default()
        });
        again.resource = again.resource.filter(|resource| *resource != document.resource);
        document.env_captures.push(again);
    }
    // Beside `out`, under a name no other run shares (the runs under the operator's
    // variables write theirs beside it at the same time).
    let mut tmp = out.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = std::path::PathBuf::from(tmp);
    if let Err(e) = std::fs::write(&tmp, document.to_json()).and_then(|_| std::fs::rename(&tmp, out)) {
        eprintln!("lab: cannot write the capture to {}: {e}", out.display());
        std::process::exit(3);
    }
    std::process::exit(0)
}

/// The scenario again, in a new process of this same executable with `vars` set: which
/// requests left a trace there, and the resource. A process of its own because a service
/// sets process-wide things once (the global subscriber, the propagator) and reads the
/// operator's variables when it builds its pipeline.
fn env_capture(vars: &[(&str, &str)], second_out: &Path) -> EnvCapture {
    let env: Vec<String> = vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let failed = |why: String| EnvCapture { env: env.clone(), failed: Some(why), ..EnvCapture::default() };
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return failed(format!("cannot find the exercise's executable: {e}")),
    };
    // Its stderr is kept: for a panic (a service that stops on a telemetry setting), and for
    // whether the SDK's own warnings reach it, which is graded.
    let output = std::process::Command::new(exe)
        .env(CAPTURE_OUT, second_out)
        .env(SECOND_CAPTURE, "1")
        .envs(vars.iter().copied())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output();
    let read = std::fs::read_to_string(second_out);
    let _ = std::fs::remove_file(second_out);
    match (output, read.map_err(|e| e.to_string()).and_then(|t| Document::from_json(&t))) {
        (Ok(output), Ok(second)) => EnvCapture {
            env,
            traced: second.traces.iter().filter_map(|t| t.request.clone()).collect(),
            resource: Some(second.resource),
            failed: None,
            refused: second.refused,
            sdk_warned: telemetry_document::sdk_warned(String::from_utf8_lossy(&output.stderr).lines()),
        },
        (Ok(output), Err(_)) => match panic_message(&String::from_utf8_lossy(&output.stderr)) {
            Some(panic) => failed(format!("it panicked: {panic}")),
            None => failed(format!("the second run ended without its telemetry ({})", output.status)),
        },
        (Err(e), _) => failed(format!("cannot start the second run: {e}")),
    }
}

/// The message of the first panic on a run's stderr (the line after `panicked at ...:`),
/// without the file and line, which name the learner's code and would change with it.
fn panic_message(stderr: &str) -> Option<String> {
    let mut lines = stderr.lines().skip_while(|l| !(l.starts_with("thread '") && l.contains("panicked at ")));
    lines.next()?;
    let message: String = lines.next()?.chars().take(300).collect();
    Some(format!("`{message}`"))
}

/// Runs `S` through `scenario` with in-memory exporters and returns what it emitted,
/// normalised (timings included; snapshots drop them).
pub fn capture<S: Service>(scenario: &Scenario) -> Document {
    let id = marks::new_capture();
    let runtime = scenario_runtime(id);
    let document = {
        let _inside = runtime.enter();
        let (edge, captured) = Edge::capture();
        let telemetry = S::telemetry(edge);
        let globals = globals();
        // While a request is held in flight, the metrics as they stand then: one export of
        // the meter provider, which the document's `while_held` reads (cumulative sums, so
        // the export at shutdown still holds everything).
        let held_export = std::cell::Cell::new(None);
        let held = || {
            let exports = || captured.exported().metric_exports;
            let before = exports();
            let _ = telemetry.meter_provider().force_flush();
            held_export.set((exports() > before).then_some(before));
        };
        let run = drive::<S>(&runtime, id, scenario, &telemetry, Some(&held));
        // What left before the service's way out: nothing, with batch processors.
        let before = captured.exported();
        // Only the service's own way out flushes: no `force_flush` first, so telemetry that
        // its shutdown forgets (a batch processor never flushed) is missing, as it would be.
        S::shutdown(&telemetry);
        // Read now, before `telemetry` is dropped (dropping a provider shuts it down too).
        let shut_down = captured.shut_down();
        let mut document = normalise::document(&captured, &run, &before, held_export.get());
        document.capture_facts.shut_down = Some(shut_down);
        (document.capture_facts.propagator_fields, document.capture_facts.global_subscriber) = globals;
        // The distance service's spans alone: the position service's provider has its own line.
        let main_spans = captured.spans.finished_spans();
        document.capture_facts.starts_unseen = !main_spans.is_empty()
            && !main_spans
                .iter()
                .any(|s| captured.starts.at_start(s.span_context.trace_id(), s.span_context.span_id()).is_some());
        document
    };
    runtime.shutdown_background();
    document
}

/// Runs `S` through `scenario` with the exporters its own code builds, pointed at
/// `receiver` (the standard `OTEL_EXPORTER_OTLP_*` variables are already set to it), and
/// returns what reached the receiver, normalised like [`capture`]'s document.
///
/// Nothing here waits on a clock: an OTLP/HTTP export returns once the receiver answered,
/// and the receiver keeps a request before it answers, so when the service's own way out
/// (its shutdown, which flushes its batch processors and readers) has returned,
/// everything it delivered has arrived.
pub fn capture_over_the_wire<S: Service>(
    scenario: &Scenario,
    receiver: &receiver::Receiver,
    listener: std::net::TcpListener,
) -> Document {
    let id = marks::new_capture();
    // Two runtimes: the receiver and whatever the service's own exporters spawn when they
    // are built (tonic's channel) run on `runtime`'s workers, also while the service shuts
    // down; the scenario and the tasks the service spawns run on one thread, as in memory.
    let runtime = capture_runtime(id);
    let scenario_runtime = scenario_runtime(id);
    let (telemetry, run, memory, globals) = {
        let _inside = runtime.enter();
        if let Err(e) = receiver.serve(listener) {
            eprintln!("lab: the capture's OTLP receiver cannot serve: {e}");
        }
        // The edge still gives the id sequences (stable snapshots); its in-memory exporters
        // should not be used: the service builds its own. Whether they were is recorded.
        let (edge, memory) = Edge::capture();
        let telemetry = S::telemetry(edge);
        let globals = globals();
        // No look at the metrics while a request is held: a flush would be an export of its
        // own on the wire.
        let run = drive::<S>(&scenario_runtime, id, scenario, &telemetry, None);
        (telemetry, run, memory, globals)
    };
    let before = receiver.received().arrived();
    // Outside the runtime's context, as a `main` shuts down after its runtime returned: the
    // exporters' own clients may block there (the default OTLP/HTTP client, blocking
    // reqwest, refuses to be dropped inside an async context). The receiver still answers
    // on the runtime's workers.
    S::shutdown(&telemetry);
    // The edge's exporters tell only of pipelines still built on them: a service's own
    // exporters are not the lab's to watch, so no entry says "not shut down" here.
    let shut_down = memory.shut_down().into_iter().filter(|(_, done)| *done).collect();
    drop(telemetry);
    let mut document = wire::document(&receiver.received(), &run, &before, &memory.starts);
    document.capture_facts = Box::new(in_memory_facts(&memory, shut_down));
    document.capture_facts.starts_unseen = !memory.starts.noted_any() && !document.traces.is_empty();
    (document.capture_facts.propagator_fields, document.capture_facts.global_subscriber) = globals;
    for signal in &document.capture_facts.in_memory {
        if let Some(why) = document.refused.get_mut(signal) {
            let (what, exporter) = match signal.as_str() {
                "metrics" => ("metrics", "edge.metrics"),
                "logs" => ("log records", "edge.logs"),
                _ => ("spans", "edge.spans"),
            };
            *why = format!(
                "received no export of {signal}: the service still gives its {what} to the lab's in-memory \
                 exporter (`{exporter}`), not to an OTLP exporter of its own"
            );
        }
    }
    scenario_runtime.shutdown_background();
    runtime.shutdown_background();
    document
}

/// What the service's setup registered globally, for the causes the checker gives: the
/// global propagator's fields, and whether a global `tracing` subscriber is installed.
fn globals() -> (Option<Vec<String>>, Option<bool>) {
    let fields = opentelemetry::global::get_text_map_propagator(|p| p.fields().map(str::to_string).collect());
    (Some(fields), Some(tracing::dispatcher::has_been_set()))
}

/// What the edge's in-memory exporters saw in a capture over the wire: which signals they
/// still received (the service did not replace them with OTLP exporters), and which of
/// their pipelines were shut down.
fn in_memory_facts(memory: &crate::edge::Captured, shut_down: BTreeMap<String, bool>) -> CaptureFacts {
    let got = memory.exported();
    let in_memory = [("traces", got.spans + got.position_spans), ("metrics", got.metric_exports), ("logs", got.logs)]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(signal, _)| signal.to_string())
        .collect();
    CaptureFacts { shut_down: Some(shut_down), in_memory, ..CaptureFacts::default() }
}

/// The runtime an in-memory capture drives the service on: one thread for the scenario and
/// every task the service spawns (the position service's, a background job's, a queue's
/// worker), so that which of them runs when is decided by where each waits, never by how
/// the machine's threads happen to be scheduled. On two workers a task nobody waits for
/// (a job sent fire-and-forget) raced the handler that sent it, and a span's place in time
/// (`within_parent`) came out either way from one run to the next. Here the handler runs on
/// until it waits, and the job after it: the same on every run. Only `spawn_blocking`'s
/// closures run elsewhere (tokio's blocking pool), and their caller waits for them.
///
/// The blocking pool's threads, and the scenario run with [`drive`] on this thread, belong to
/// capture `id` (what the lab's code sees happen is told apart per capture: see
/// `service::marks`).
fn scenario_runtime(id: u64) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .on_thread_start(move || marks::on_capture_thread(id))
        .build()
        .expect("a tokio runtime starts")
}

/// The runtime beside [`scenario_runtime`] in a capture over the wire: the capture's
/// receiver and what the service's own exporters spawn when they are built (tonic's gRPC
/// channel) need workers that run while the service shuts down, outside the scenario. Its
/// threads belong to capture `id`.
fn capture_runtime(id: u64) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .on_thread_start(move || marks::on_capture_thread(id))
        .build()
        .expect("a tokio runtime starts")
}

/// Runs `scenario` through `S` on `runtime`, as capture `id`.
fn drive<S: Service>(
    runtime: &tokio::runtime::Runtime,
    id: u64,
    scenario: &Scenario,
    telemetry: &crate::Telemetry,
    held: Option<&dyn Fn()>,
) -> Run {
    // The tasks the service spawns run on this thread when the runtime is a current-thread
    // one: they belong to the capture too, for as long as it drives them.
    let before = marks::enter_capture_thread(id);
    let run = runtime.block_on(marks::scoped(id, scenario.run::<S>(telemetry, held)));
    marks::leave_capture_thread(before);
    run
}
