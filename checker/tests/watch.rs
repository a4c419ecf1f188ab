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
        Watching::start_with(root, poll, &[])
    }

    fn start_with(root: &Path, poll: bool, env: &[(&str, &Path)]) -> Watching {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_checker"));
        for (key, value) in env {
            cmd.env(key, value);
        }
        if !env.is_empty() {
            // Each check captures afresh, so the fixture counts them.
            cmd.arg("--no-cache");
        }
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
        self.expect_within(text, Duration::from_secs(120));
    }

    fn expect_within(&mut self, text: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
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

/// A track whose one exercise captures slowly (`15-slow`), for saves made during a check.
fn slow_track() -> tempfile::TempDir {
    let root = two_exercise_track();
    let track = std::fs::read_to_string(root.path().join("exercises/track.toml")).unwrap();
    let header = track.split("[[exercise]]").next().unwrap().to_string();
    let slow = "[[exercise]]\nid = \"slow\"\ndir = \"15-slow\"\nname = \"Slow\"\nedit = \"src/main.rs\"\n";
    std::fs::write(root.path().join("exercises/track.toml"), header + slow).unwrap();
    root
}

/// Waits until the slow fixture's capture number `run` has started; its pid.
fn started(marker: &Path, run: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        let text = std::fs::read_to_string(marker).unwrap_or_default();
        if let Some(pid) = text.lines().nth(run - 1) {
            return pid.to_string();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("capture {run} never started");
}

fn saves_during_a_check_are_checked(poll: bool) {
    let root = slow_track();
    let marker = root.path().join("captures-started");
    let mut watch = Watching::start_with(root.path(), poll, &[("FIXTURE_STARTED", &marker)]);
    watch.expect("Checking 1. Slow...");
    // The check's capture runs (the first was the track's overview): save the fix now.
    started(&marker, 2);
    let solution = std::fs::read_to_string(root.path().join("solutions/15-slow/src/main.rs")).unwrap();
    std::fs::write(root.path().join("exercises/15-slow/src/main.rs"), solution).unwrap();
    watch.expect("resource attribute `service.version` is missing");
    watch.expect_within("1. Slow emits exactly the expected telemetry", Duration::from_secs(60));
}

#[test]
fn watch_checks_a_save_made_during_a_check_with_file_notifications() {
    saves_during_a_check_are_checked(false);
}

#[test]
fn watch_checks_a_save_made_during_a_check_by_polling() {
    saves_during_a_check_are_checked(true);
}

#[cfg(target_os = "linux")] // reads /proc
#[test]
fn q_quits_at_once_during_a_check_and_ends_it() {
    let root = slow_track();
    let marker = root.path().join("captures-started");
    let slow = Path::new("60");
    let mut watch = Watching::start_with(root.path(), false, &[("FIXTURE_STARTED", &marker), ("FIXTURE_SLEEP", slow)]);
    watch.expect("Checking 1. Slow...");
    let pid = started(&marker, 2);
    let asked = Instant::now();
    writeln!(watch.child.stdin.as_mut().unwrap(), "q").unwrap();
    assert!(watch.child.wait().unwrap().success());
    assert!(asked.elapsed() < Duration::from_secs(5), "q took {:?}", asked.elapsed());
    let deadline = Instant::now() + Duration::from_secs(5);
    while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    assert!(state.is_empty() || state.contains(") Z"), "the check's process {pid} outlived the watch: {state}");
}
