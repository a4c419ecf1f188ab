//! Running an exercise's binary in capture mode, in its own process, with a timeout: a
//! panic, a hang, `process::exit` or garbage on stdout stays in that process.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use telemetry_document::Document;
use wait_timeout::ChildExt;

/// What came out of one capture.
#[derive(Debug, Clone)]
pub enum Outcome {
    Captured(Document),
    Panicked {
        message: String,
    },
    TimedOut {
        after: Duration,
    },
    /// Exited without handing over its telemetry (`process::exit`, a crash, a signal).
    Exited {
        code: Option<i32>,
        stderr: String,
    },
    /// The capture file is not a telemetry document (the harness was changed).
    Unreadable {
        why: String,
    },
}

/// How much of a child's output is kept: enough for a panic message, bounded for garbage.
const KEEP_BYTES: usize = 64 * 1024;

pub fn run(executable: &Path, scenario: &str, timeout: Duration) -> Outcome {
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => {
            return Outcome::Exited { code: None, stderr: format!("cannot create a temporary folder: {e}") };
        }
    };
    let out = dir.path().join("capture.json");
    let mut cmd = Command::new(executable);
    // The learner's shell may point OTEL_* somewhere (the dev container does): the
    // capture must not depend on it.
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("OTEL_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("LAB_CAPTURE_OUT", &out)
        .env("LAB_SCENARIO", scenario)
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            return Outcome::Exited { code: None, stderr: format!("cannot start {}: {e}", executable.display()) };
        }
    };
    // Drain both pipes so a chatty exercise never blocks on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut kept = Vec::new();
            if let Some(mut pipe) = pipe {
                let mut buf = [0u8; 8192];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let room = KEEP_BYTES.saturating_sub(kept.len());
                    kept.extend_from_slice(&buf[..n.min(room)]);
                }
            }
            String::from_utf8_lossy(&kept).into_owned()
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));

    let status = match child.wait_timeout(timeout) {
        Ok(Some(status)) => status,
        Ok(None) | Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            return Outcome::TimedOut { after: timeout };
        }
    };
    // Threads the exercise left behind can hold the pipes open: do not wait on them forever.
    let stderr = join_for(stderr, Duration::from_secs(2));
    drop(stdout);

    if let Ok(text) = std::fs::read_to_string(&out) {
        return match Document::from_json(&text) {
            // What it printed on stderr, for diagnosis (a bridge setup error, say).
            Ok(document) => Outcome::Captured(Document {
                stderr: tail(&stderr, 15).lines().map(str::to_string).collect(),
                ..document
            }),
            Err(why) => Outcome::Unreadable { why },
        };
    }
    match panic_message(&stderr) {
        Some(message) => Outcome::Panicked { message },
        None => Outcome::Exited { code: status.code(), stderr: tail(&stderr, 15) },
    }
}

fn join_for(handle: std::thread::JoinHandle<String>, limit: Duration) -> String {
    let deadline = std::time::Instant::now() + limit;
    while !handle.is_finished() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    if handle.is_finished() { handle.join().unwrap_or_default() } else { String::new() }
}

/// `thread 'main' panicked at src/app.rs:12:5:\n<message>`, without the backtrace note.
fn panic_message(stderr: &str) -> Option<String> {
    let start = stderr.find("panicked at ")?;
    let line_start = stderr[..start].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let message: Vec<&str> = stderr[line_start..]
        .lines()
        .take_while(|l| !l.starts_with("note: run with `RUST_BACKTRACE"))
        .take(12)
        .collect();
    Some(message.join("\n").trim().to_string())
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_message_keeps_location_and_message_only() {
        let stderr = "noise\nthread 'main' panicked at src/app.rs:3:5:\nboom\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        assert_eq!(panic_message(stderr).unwrap(), "thread 'main' panicked at src/app.rs:3:5:\nboom");
        assert_eq!(panic_message("all fine"), None);
    }
}
