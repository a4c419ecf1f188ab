//! `watch` as a learner uses it: it shows the current exercise, re-checks it when a file
//! is saved, and moves on when it passes; both with file notifications and with the
//! polling fallback.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// A copy of the fixture track with two exercises: one done, one to fix.
fn two_exercise_track() -> tempfile::TempDir {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/track");
    let root = tempfile::tempdir().unwrap();
    copy(&fixture, root.path());
    let track = std::fs::read_to_string(fixture.join("exercises/track.toml")).unwrap();
    let first_two = track.split("\n[[exercise]]").take(3).collect::<Vec<_>>().join("\n[[exercise]]");
    std::fs::write(root.path().join("exercises/track.toml"), first_two).unwrap();
    root
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

struct Watching {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Watching {
    fn start(root: &Path, poll: bool) -> Watching {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_checker"));
        cmd.env("LAB_ROOT", root)
            // Its own target folder: the packages have the same names in every copy.
            .env("CARGO_TARGET_DIR", root.join("target"))
            .env("NO_COLOR", "1")
            .arg("watch")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if poll {
            cmd.arg("--poll");
        }
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Watching { child, lines, seen: Vec::new() }
    }

    /// Waits (bounded) for a line containing `text`.
    fn expect(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) {
                let found = line.contains(text);
                self.seen.push(line);
                if found {
                    return;
                }
            }
        }
        panic!("watch never printed {text:?}; it printed:\n{}", self.seen.join("\n"));
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rechecks_on_save_and_moves_on(poll: bool) {
    let root = two_exercise_track();
    let mut watch = Watching::start(root.path(), poll);
    watch.expect("Checking 2. Differs...");
    watch.expect("resource attribute `service.version` is missing");
    watch.expect("Watching for saves");

    // The learner fixes the exercise and saves.
    let solution = std::fs::read_to_string(root.path().join("solutions/02-differs/src/main.rs")).unwrap();
    std::fs::write(root.path().join("exercises/02-differs/src/main.rs"), solution).unwrap();
    watch.expect("Checking 2. Differs...");
    watch.expect("2. Differs emits exactly the expected telemetry");
    watch.expect("Every exercise passes");
    let status = watch.child.wait().unwrap();
    assert!(status.success());
}

#[test]
fn watch_rechecks_on_save_with_file_notifications() {
    rechecks_on_save_and_moves_on(false);
}

#[test]
fn watch_rechecks_on_save_by_polling() {
    rechecks_on_save_and_moves_on(true);
}

#[test]
fn watch_answers_commands_and_quits() {
    let root = two_exercise_track();
    let mut watch = Watching::start(root.path(), false);
    watch.expect("Watching for saves");
    let stdin = watch.child.stdin.as_mut().unwrap();
    writeln!(stdin, "h").unwrap();
    watch.expect("Hint 1/2 for 2. Differs");
    let stdin = watch.child.stdin.as_mut().unwrap();
    writeln!(stdin, "q").unwrap();
    assert!(watch.child.wait().unwrap().success());
}
