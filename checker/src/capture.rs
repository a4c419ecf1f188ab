//! Running an exercise's binary in capture mode, in its own process, with a timeout: a
//! panic, a hang, `process::exit` or garbage on stdout stays in that process.
//!
//! The binary runs in a process group of its own, and the whole group is ended once the
//! capture is over (handed over, crashed or timed out), and so is any process that left
//! the group but carries the capture's mark in its environment (Linux): a process the
//! exercise spawned never outlives its check. Its address space is limited (`--memory`), so an exercise
//! that allocates without end is stopped and reported as out of memory, not by the machine.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use telemetry_document::Document;
use wait_timeout::ChildExt;

use crate::groups::{self, Group};
use crate::output::{self, Kept};

/// What came out of one capture.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Boxed: a document is far larger than the other outcomes.
    Captured(Box<Document>),
    Panicked {
        message: String,
    },
    TimedOut {
        after: Duration,
    },
    /// An allocation failed under the memory limit (in MiB).
    OutOfMemory {
        limit_mib: u64,
    },
    /// Exited without handing over its telemetry (`process::exit`, a crash, a signal).
    Exited {
        code: Option<i32>,
        signal: Option<i32>,
        stderr: String,
    },
    /// The harness did not know the scenario the track names (a problem of the lab).
    UnknownScenario {
        scenario: String,
    },
    /// It was not built: cargo stopped before compiling it (see [`crate::cargo::Build`]).
    NotBuilt {
        cargo_says: String,
    },
    /// The capture file is not a telemetry document (the harness was changed).
    Unreadable {
        why: String,
    },
    /// The capture is far larger than any solution's ([`MAX_CAPTURE_BYTES`]): it is not
    /// read, so comparing, printing and caching stay bounded.
    TooMuch {
        bytes: u64,
    },
    /// Not a capture: the exercise's own tests, run on the reference service and its
    /// regressions (an exercise graded by its tests, [`crate::tested`]).
    Tested(Box<crate::tested::Tested>),
}

/// Limits of one capture.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    /// Address space of the exercise's process, in MiB (see `--memory` for the default).
    pub memory_mib: u64,
}

impl Outcome {
    /// Whether the outcome says more about the machine, its load or the limits chosen
    /// than about the code: such verdicts are never cached.
    pub fn depends_on_the_machine(&self) -> bool {
        match self {
            Outcome::Tested(tested) => tested.depends_on_the_machine(),
            _ => matches!(self, Outcome::TimedOut { .. } | Outcome::OutOfMemory { .. } | Outcome::NotBuilt { .. }),
        }
    }
}

/// The default of `--memory`. It bounds virtual memory (RLIMIT_AS), which thread stacks
/// and glibc's per-thread arenas inflate beyond what is used, and grow with the number of
/// cores (tokio starts a worker per core). Measured on 2 cores: every solution captures
/// within 48 MiB (`ulimit -v`); 2 GiB leaves room for a many-core machine and still stops
/// a runaway allocation long before the machine does.
pub const DEFAULT_MEMORY_MIB: u64 = 2048;

/// The biggest capture read (1 MiB): a solution's is under 8 KB, and an exercise that
/// emits 200,000 spans writes about 60 MB.
pub const MAX_CAPTURE_BYTES: u64 = 1024 * 1024;

pub fn run(executable: &Path, scenario: &str, limits: Limits) -> Outcome {
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => return crashed(format!("cannot create a temporary folder: {e}")),
    };
    let out = dir.path().join("capture.json");
    let mut cmd = Command::new(executable);
    // The learner's shell may point OTEL_* somewhere (the dev container does): the
    // capture must not depend on it.
    remove_env(&mut cmd, |key| key.starts_with("OTEL_"));
    cmd.env("LAB_CAPTURE_OUT", &out)
        .env("LAB_SCENARIO", scenario)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    groups::in_own_group(&mut cmd);
    limit_memory(&mut cmd, limits.memory_mib);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => return crashed(format!("cannot start {}: {e}", executable.display())),
    };
    let group = Group::adopt(child.id());
    // Drain both pipes so a chatty exercise never blocks on a full pipe.
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));

    let status = match child.wait_timeout(limits.timeout) {
        Ok(Some(status)) => status,
        Ok(None) | Err(_) => {
            drop(group);
            let _ = child.kill();
            let _ = child.wait();
            groups::end_marked("LAB_CAPTURE_OUT", out.as_os_str());
            return Outcome::TimedOut { after: limits.timeout };
        }
    };
    // Whatever the exercise left running ends with it, in its group or not; then its
    // pipes close.
    drop(group);
    groups::end_marked("LAB_CAPTURE_OUT", out.as_os_str());
    let stderr = join_for(stderr, Duration::from_secs(2));
    drop(stdout);

    match std::fs::metadata(&out) {
        Ok(meta) if meta.len() > MAX_CAPTURE_BYTES => return Outcome::TooMuch { bytes: meta.len() },
        _ => {}
    }
    if let Ok(text) = std::fs::read_to_string(&out) {
        return match Document::from_json(&text) {
            // What it printed on stderr, for diagnosis (a bridge setup error, say).
            Ok(document) => Outcome::Captured(Box::new(Document {
                stderr: stderr.tail(15).lines().map(str::to_string).collect(),
                ..document
            })),
            Err(why) => Outcome::Unreadable { why },
        };
    }
    judge_exit(status, &stderr, limits)
}

/// Why a capture ended without a document, from its exit status and what it printed.
fn judge_exit(status: ExitStatus, stderr: &Kept, limits: Limits) -> Outcome {
    if stderr.out_of_memory {
        return Outcome::OutOfMemory { limit_mib: limits.memory_mib };
    }
    if let Some(scenario) = &stderr.unknown_scenario {
        return Outcome::UnknownScenario { scenario: scenario.clone() };
    }
    match &stderr.panic {
        Some(message) => Outcome::Panicked { message: message.clone() },
        None => Outcome::Exited { code: status.code(), signal: signal_of(&status), stderr: stderr.tail(15) },
    }
}

fn crashed(why: String) -> Outcome {
    Outcome::Exited { code: None, signal: None, stderr: why }
}

/// Reads a pipe to its end in a thread, keeping a bounded head and tail (see [`Kept`]).
fn drain(pipe: Option<Box<dyn Read + Send>>) -> std::thread::JoinHandle<Kept> {
    std::thread::spawn(move || {
        let mut kept = Kept::default();
        if let Some(pipe) = pipe {
            let mut reader = BufReader::new(pipe);
            let mut line = Vec::new();
            loop {
                line.clear();
                // A line without end is read in bounded pieces.
                match reader.by_ref().take(output::LONGEST_LINE as u64).read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => kept.push(&String::from_utf8_lossy(&line)),
                }
            }
        }
        kept.finished()
    })
}

fn join_for(handle: std::thread::JoinHandle<Kept>, limit: Duration) -> Kept {
    let deadline = std::time::Instant::now() + limit;
    while !handle.is_finished() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    if handle.is_finished() { handle.join().unwrap_or_default() } else { Kept::default() }
}

/// Leaves out of the environment of the process `cmd` starts every variable of this one
/// whose name `unwanted` picks.
pub(crate) fn remove_env(cmd: &mut Command, unwanted: impl Fn(&str) -> bool) {
    for (key, _) in std::env::vars_os() {
        if unwanted(&key.to_string_lossy()) {
            cmd.env_remove(key);
        }
    }
}

/// Limits the address space of the process `cmd` starts (RLIMIT_AS).
#[cfg(unix)]
pub(crate) fn limit_memory(cmd: &mut Command, memory_mib: u64) {
    use std::os::unix::process::CommandExt as _;
    let bytes = memory_mib.saturating_mul(1024 * 1024);
    // SAFETY: setrlimit is async-signal-safe, and the closure allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit { rlim_cur: bytes as libc::rlim_t, rlim_max: bytes as libc::rlim_t };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Without RLIMIT_AS, the memory limit is not enforced (the README says so).
#[cfg(not(unix))]
pub(crate) fn limit_memory(_: &mut Command, _: u64) {}

#[cfg(unix)]
fn signal_of(status: &ExitStatus) -> Option<i32> {
    std::os::unix::process::ExitStatusExt::signal(status)
}

#[cfg(not(unix))]
fn signal_of(_: &ExitStatus) -> Option<i32> {
    None
}

/// `killed by signal 6 (SIGABRT, an abort: ...)`.
pub fn signal_words(signal: i32) -> String {
    match signal_name(signal) {
        Some(name) => format!("killed by signal {signal} ({name})"),
        None => format!("killed by signal {signal}"),
    }
}

#[cfg(unix)]
fn signal_name(signal: i32) -> Option<&'static str> {
    Some(match signal {
        libc::SIGABRT => "SIGABRT, an abort: `std::process::abort`, a panic while panicking, or a failed allocation",
        libc::SIGSEGV => "SIGSEGV, a memory access fault",
        libc::SIGKILL => "SIGKILL",
        libc::SIGTERM => "SIGTERM",
        libc::SIGILL => "SIGILL, an illegal instruction",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        _ => return None,
    })
}

#[cfg(not(unix))]
fn signal_name(_: i32) -> Option<&'static str> {
    None
}
