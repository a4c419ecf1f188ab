//! The checker's command line, run as a learner runs it, against a fixture track of tiny
//! exercises that pass, differ, do not compile, panic, hang, exit early or print garbage
//! (`tests/fixtures/track`). `verify` on the lab itself is in `verify.rs`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/track")
}

/// The checker on the fixture track; its builds go to a target folder of their own.
fn checker() -> Command {
    let mut cmd = Command::cargo_bin("checker").unwrap();
    cmd.env("LAB_ROOT", fixture())
        .env("CARGO_TARGET_DIR", Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixture-track"))
        .env("NO_COLOR", "1")
        .args(["--timeout", "3"]);
    cmd
}

fn json(output: &[u8]) -> Value {
    serde_json::from_slice(output).expect("--format json prints one JSON document")
}

#[test]
fn the_default_run_shows_progress_and_explains_the_first_failure() {
    checker()
        .assert()
        .code(1)
        .stdout(predicate::str::contains("Progress [").and(predicate::str::contains("2/7 done")))
        .stdout(predicate::str::contains("2. Differs                      not yet  <- you are here"))
        .stdout(predicate::str::contains("Edit  exercises/02-differs/src/main.rs"))
        .stdout(predicate::str::contains("resource attribute `service.version` is missing"));
}

#[test]
fn the_json_report_lists_every_exercise_with_its_status() {
    let out = checker().args(["--format", "json"]).assert().code(1).get_output().stdout.clone();
    let report = json(&out);
    assert_eq!(report["total"], 7);
    assert_eq!(report["passed"], 2);
    let statuses: Vec<&str> =
        report["exercises"].as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["pass", "fail", "compile_error", "panic", "timeout", "fail", "pass"]);
    for exercise in report["exercises"].as_array().unwrap() {
        for key in ["id", "name", "status", "message"] {
            assert!(exercise.get(key).is_some(), "{key} missing in {exercise}");
        }
    }
}

#[test]
fn a_failing_exercise_says_what_its_telemetry_is_missing() {
    let out = checker().args(["check", "differs"]).assert().code(1).get_output().stdout.clone();
    insta::assert_snapshot!(String::from_utf8(out).unwrap());
}

#[test]
fn verbose_adds_the_raw_diff_of_the_document() {
    checker()
        .args(["check", "2", "--verbose"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("Raw diff of the telemetry document"))
        .stdout(predicate::str::contains("-  service.version: 1.0.0"));
}

#[test]
fn a_compile_error_is_reported_with_rustc_s_message() {
    checker()
        .args(["check", "3"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("does not compile"))
        .stdout(predicate::str::contains("error[E0308]: mismatched types"))
        .stdout(predicate::str::contains("exercises/03-broken/src/main.rs"));
}

#[test]
fn a_panic_is_reported_with_its_message() {
    checker()
        .args(["check", "panics"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("panicked while the checker drove the service"))
        .stdout(predicate::str::contains("the places table is empty"))
        .stdout(predicate::str::contains("Edit  exercises/04-panics/src/places.rs"));
}

#[test]
fn a_hang_is_stopped_after_the_timeout() {
    let out = checker().args(["check", "05-hangs", "--format", "json"]).assert().code(1).get_output().stdout.clone();
    let exercise = &json(&out)["exercises"][0];
    assert_eq!(exercise["status"], "timeout");
    assert!(exercise["message"].as_str().unwrap().contains("did not finish within 3 s"), "{exercise}");
}

#[test]
fn process_exit_before_the_hand_over_is_reported() {
    checker()
        .args(["check", "6"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("exited (code 0) before handing over its telemetry"));
}

#[test]
fn garbage_on_stdout_and_leftover_threads_do_not_matter() {
    checker()
        .args(["check", "noisy"])
        .assert()
        .success()
        .stdout(predicate::str::contains("emits exactly the expected telemetry"));
}

#[test]
fn list_shows_every_exercise_in_order() {
    let out = checker().arg("list").assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    let names = ["Passes", "Differs", "Does not compile", "Panics", "Hangs", "Exits early", "Noisy"];
    let positions: Vec<usize> =
        names.iter().map(|n| text.find(n).unwrap_or_else(|| panic!("{n} not listed"))).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
}

#[test]
fn verify_fails_when_a_starter_misbehaves_and_says_which() {
    checker()
        .arg("verify")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("the starter already passes"))
        .stdout(predicate::str::contains("ends in compile_error"))
        .stdout(predicate::str::contains("verify: 2/7 exercises verified"));
}

#[test]
fn hints_come_one_after_the_other_and_stay_out_of_the_exercises() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("exercises")).unwrap();
    std::fs::copy(fixture().join("exercises/track.toml"), root.path().join("exercises/track.toml")).unwrap();
    let hint = || {
        let mut cmd = checker();
        cmd.env("LAB_ROOT", root.path()).args(["hint", "differs"]);
        String::from_utf8(cmd.assert().success().get_output().stdout.clone()).unwrap()
    };
    assert!(hint().contains("Hint 1/2 for 2. Differs\nadd the version"));
    assert!(hint().contains("Hint 2/2 for 2. Differs\nadd the child span"));
    assert!(hint().contains("That was the last hint"));
    assert!(root.path().join(".lab/state.json").exists(), "hint progress is kept in .lab/");
}

#[test]
fn an_unknown_exercise_is_a_clear_error() {
    checker().args(["check", "99"]).assert().code(2).stderr(predicate::str::contains("no exercise `99`"));
}

#[test]
fn a_missing_track_is_a_clear_error() {
    let empty = tempfile::tempdir().unwrap();
    checker()
        .env("LAB_ROOT", empty.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read the track file"));
}

#[test]
fn a_snapshot_edited_by_hand_is_reported_as_tampering_not_graded() {
    let root = tempfile::tempdir().unwrap();
    for dir in ["exercises/01-passes/src", "solutions/01-passes/src", "snapshots"] {
        std::fs::create_dir_all(root.path().join(dir)).unwrap();
    }
    let fixture = fixture();
    for file in [
        "Cargo.toml",
        "expected.rs",
        "exercises/Cargo.toml",
        "exercises/01-passes/Cargo.toml",
        "exercises/01-passes/src/main.rs",
        "solutions/01-passes/Cargo.toml",
        "solutions/01-passes/src/main.rs",
        "snapshots/01-passes.snap",
    ] {
        std::fs::copy(fixture.join(file), root.path().join(file)).unwrap();
    }
    let track = std::fs::read_to_string(fixture.join("exercises/track.toml")).unwrap();
    let first = track.split("\n[[exercise]]").take(2).collect::<Vec<_>>().join("\n[[exercise]]");
    std::fs::write(root.path().join("exercises/track.toml"), first).unwrap();
    let snap = root.path().join("snapshots/01-passes.snap");
    let edited = std::fs::read_to_string(&snap).unwrap().replace("service.version: 1.0.0", "service.version: 9.9.9");
    std::fs::write(&snap, edited).unwrap();

    let mut cmd = checker();
    cmd.env("LAB_ROOT", root.path()).env("CARGO_TARGET_DIR", root.path().join("target"));
    cmd.args(["check", "1"]).assert().code(1).stdout(predicate::str::contains(
        "was not graded: its snapshot was changed by hand: the expected telemetry no longer matches its fingerprint",
    ));
}

// --- Hardening: a hostile classroom's exercises, state and environment (issue 13). ---

/// A copy of the fixture track whose track file lists `entries` (`[[exercise]]` tables),
/// with a target folder of its own.
fn track_with(entries: &str) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    copy_tree(&fixture(), root.path());
    let header = std::fs::read_to_string(fixture().join("exercises/track.toml")).unwrap();
    let header = header.split("[[exercise]]").next().unwrap().to_string();
    std::fs::write(root.path().join("exercises/track.toml"), header + entries).unwrap();
    root
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        // Not the fixture's build or its checker state: other tests check the fixture in
        // place, and a verdict they cached there would answer for the copy.
        if entry.file_name() == "target" || entry.file_name() == ".lab" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn entry(id: &str, dir: &str) -> String {
    format!("[[exercise]]\nid = \"{id}\"\ndir = \"{dir}\"\nname = \"{id}\"\nedit = \"src/main.rs\"\n\n")
}

/// The checker on a copy made by [`track_with`].
fn checker_in(root: &Path) -> Command {
    let mut cmd = checker();
    cmd.env("LAB_ROOT", root).env("CARGO_TARGET_DIR", root.join("target"));
    cmd
}

fn stdout_of(cmd: &mut Command, code: i32) -> String {
    String::from_utf8(cmd.assert().code(code).get_output().stdout.clone()).unwrap()
}

#[test]
fn a_panic_after_a_flood_of_stderr_keeps_its_message_the_same_on_every_run() {
    let root = track_with(&entry("chatty", "08-chatty-panic"));
    let first = stdout_of(checker_in(root.path()).args(["check", "chatty", "--no-cache"]), 1);
    assert!(first.contains("panicked while the checker drove the service"), "{first}");
    assert!(first.contains("thread 'main' panicked at"), "no thread id in the verdict: {first}");
    assert!(first.contains(r"the position service is \u{1b}[31mdown"), "escape codes are shown: {first}");
    assert!(!first.contains('\u{1b}'), "no escape code reaches the terminal: {first:?}");
    let second = stdout_of(checker_in(root.path()).args(["check", "chatty", "--no-cache"]), 1);
    assert_eq!(first, second, "a panic verdict is the same on every run");
}

/// Whether process `pid` is gone (or a zombie waiting for its new parent to reap it).
#[cfg(target_os = "linux")]
fn gone(pid: &str) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => return true,
            Ok(stat) if stat.rsplit(')').next().is_some_and(|s| s.trim_start().starts_with('Z')) => return true,
            Ok(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
    false
}

#[cfg(target_os = "linux")] // reads /proc
#[test]
fn a_process_the_exercise_starts_ends_with_its_check() {
    let root = track_with(&entry("spawns", "09-spawns"));
    let pid_file = root.path().join("helper.pid");
    checker_in(root.path()).args(["check", "spawns"]).env("FIXTURE_PID_FILE", &pid_file).assert().success();
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    assert!(gone(&pid), "the helper process {pid} outlived the check");
}

#[cfg(target_os = "linux")] // reads /proc
#[test]
fn a_process_the_exercise_starts_ends_with_its_timeout() {
    let root = track_with(&entry("spawns", "09-spawns"));
    let pid_file = root.path().join("helper.pid");
    let out = stdout_of(
        checker_in(root.path())
            .args(["check", "spawns", "--timeout", "1"])
            .env("FIXTURE_PID_FILE", &pid_file)
            .env("FIXTURE_HANG", "1"),
        1,
    );
    assert!(out.contains("did not finish within 1 s"), "{out}");
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    assert!(gone(&pid), "the helper process {pid} outlived the timeout");
}

#[cfg(unix)] // process groups, RLIMIT_AS, signals, symbolic links
#[test]
fn an_exercise_that_allocates_without_end_is_stopped_and_named_out_of_memory() {
    let root = track_with(&entry("hog", "10-hog"));
    let out = stdout_of(checker_in(root.path()).args(["check", "hog", "--memory", "256", "--timeout", "20"]), 1);
    assert!(out.contains("ran out of memory: it needed more than the 256 MiB"), "{out}");
}

#[cfg(unix)] // process groups, RLIMIT_AS, signals, symbolic links
#[test]
fn an_abort_is_named() {
    let root = track_with(&entry("aborts", "11-aborts"));
    let out = stdout_of(checker_in(root.path()).args(["check", "aborts"]), 1);
    assert!(out.contains("was killed by signal 6 (SIGABRT, an abort"), "{out}");
}

#[test]
fn huge_telemetry_is_not_compared_and_keeps_the_output_and_cache_small() {
    let root = track_with(&entry("floods", "12-floods"));
    let out = stdout_of(checker_in(root.path()).args(["check", "floods"]), 1);
    assert!(out.contains("emits far more telemetry than expected"), "{out}");
    assert!(out.len() < 4_000, "the verdict is {} bytes", out.len());
    assert!(out.lines().all(|l| l.len() < 400), "{out}");
    let cache = std::fs::metadata(root.path().join(".lab/cache/verdicts.json")).unwrap().len();
    assert!(cache < 20_000, "the verdict cache is {cache} bytes");
}

#[test]
fn the_snapshot_is_read_before_the_exercise_runs() {
    let root = track_with(&entry("rewrites", "13-rewrites-snapshot"));
    let snapshot = root.path().join("snapshots/13-rewrites-snapshot.snap");
    let out = stdout_of(checker_in(root.path()).args(["check", "rewrites"]).env("FIXTURE_SNAPSHOT", &snapshot), 1);
    assert!(!snapshot.exists(), "the fixture deleted its snapshot while it ran");
    assert!(out.contains("runs, but its telemetry differs from the expected"), "{out}");
}

#[test]
fn an_unknown_scenario_is_the_lab_s_problem_not_an_exit() {
    let root = track_with(&entry("passes", "01-passes").replace("edit =", "scenario = \"nowhere\"\nedit ="));
    let out = stdout_of(checker_in(root.path()).args(["check", "passes"]), 1);
    assert!(out.contains("the lab's harness has no scenario `nowhere`"), "{out}");
    assert!(!out.contains("process::exit"), "{out}");
}

#[test]
fn a_deleted_snapshot_says_how_to_restore_it() {
    let root = track_with(&entry("passes", "01-passes"));
    std::fs::remove_file(root.path().join("snapshots/01-passes.snap")).unwrap();
    let out = stdout_of(checker_in(root.path()).args(["check", "passes"]), 1);
    assert!(out.contains("git checkout -- snapshots/01-passes.snap"), "{out}");
}

#[test]
fn a_deleted_harness_snapshot_says_how_to_restore_it() {
    let root = track_with(&entry("passes", "01-passes"));
    let track = root.path().join("exercises/track.toml");
    let text =
        std::fs::read_to_string(&track).unwrap().replace("snapshots = ", "harness = [\"expected.rs\"]\nsnapshots = ");
    std::fs::write(&track, text).unwrap();
    let loaded = checker::track::Track::load(root.path()).unwrap();
    let fingerprint = checker::integrity::harness_fingerprint(&loaded).unwrap();
    std::fs::write(root.path().join("snapshots/harness.snap"), format!("---\nsource: x\n---\n{fingerprint}\n"))
        .unwrap();
    checker_in(root.path()).args(["check", "passes"]).assert().success();
    std::fs::remove_file(root.path().join("snapshots/harness.snap")).unwrap();
    let out = stdout_of(checker_in(root.path()).args(["check", "passes"]), 1);
    assert!(out.contains("git checkout -- snapshots/harness.snap"), "{out}");
}

#[test]
fn an_unusable_target_folder_is_not_called_a_compile_error() {
    let root = track_with(&entry("passes", "01-passes"));
    let not_a_folder = root.path().join("target-is-a-file");
    std::fs::write(&not_a_folder, "").unwrap();
    let out = stdout_of(checker_in(root.path()).args(["check", "passes"]).env("CARGO_TARGET_DIR", &not_a_folder), 1);
    assert!(!out.contains("does not compile"), "{out}");
    assert!(out.contains("could not be built: cargo failed before compiling it"), "{out}");
    let list = stdout_of(checker_in(root.path()).arg("list").env("CARGO_TARGET_DIR", &not_a_folder), 0);
    assert!(list.contains("not built") && !list.contains("does not compile"), "{list}");
}

#[test]
fn timeout_zero_is_refused_not_rounded() {
    checker().args(["list", "--timeout", "0"]).assert().code(2).stderr(predicate::str::contains("--timeout"));
}

#[cfg(unix)] // process groups, RLIMIT_AS, signals, symbolic links
#[test]
fn a_closed_pipe_ends_the_checker_quietly() {
    let root = track_with(&entry("passes", "01-passes"));
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_checker"))
        .env("LAB_ROOT", root.path())
        .args(["hint", "passes"])
        .stdout(writer)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{stderr}");
}

#[test]
fn the_lab_is_found_from_the_current_folder_not_where_the_checker_was_built() {
    let root = track_with(&entry("passes", "01-passes"));
    let mut cmd = Command::cargo_bin("checker").unwrap();
    cmd.env_remove("LAB_ROOT")
        .env("CARGO_TARGET_DIR", root.path().join("target"))
        .env("NO_COLOR", "1")
        .current_dir(root.path().join("exercises/01-passes/src"))
        .arg("list");
    let out = stdout_of(&mut cmd, 0);
    assert!(out.contains("1. passes") && out.contains("1/1 done"), "{out}");

    let nowhere = tempfile::tempdir().unwrap();
    let mut cmd = Command::cargo_bin("checker").unwrap();
    cmd.env_remove("LAB_ROOT").current_dir(nowhere.path()).arg("list");
    cmd.assert().code(2).stderr(predicate::str::contains("no lab here"));
}

#[cfg(target_os = "linux")] // reads /proc
#[test]
fn a_build_script_that_never_ends_is_stopped_and_the_others_are_graded() {
    let root = track_with(&(entry("passes", "01-passes") + &entry("loops", "14-loops-in-build")));
    let started = std::time::Instant::now();
    let out = checker_in(root.path()).args(["--format", "json", "--build-timeout", "8"]).assert().code(1);
    let report = json(&out.get_output().stdout);
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "the track hung");
    assert_eq!(report["exercises"][0]["status"], "pass", "{report}");
    let loops = &report["exercises"][1];
    assert!(loops["details"].as_str().unwrap().contains("did not finish within 8 s"), "{loops}");
    let left = std::process::Command::new("pgrep").args(["-f", "build-script-build"]).output().unwrap();
    let pids = String::from_utf8_lossy(&left.stdout).to_string();
    for pid in pids.lines() {
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
        assert!(
            !exe.starts_with(root.path()) || gone(pid),
            "build script {pid} ({}) outlived the build",
            exe.display()
        );
    }
}

/// Statuses of `--format json` on a track, by id.
fn statuses(root: &Path) -> Vec<(String, String, String)> {
    let out = checker_in(root).args(["--format", "json"]).assert().code(1).get_output().stdout.clone();
    json(&out)["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let text = format!(
                "{} {} [edit {}]",
                e["message"].as_str().unwrap(),
                e["details"].as_str().unwrap_or_default(),
                e["edit"].as_str().unwrap()
            );
            (e["id"].as_str().unwrap().to_string(), e["status"].as_str().unwrap().to_string(), text)
        })
        .collect()
}

fn three_exercises() -> tempfile::TempDir {
    track_with(&(entry("passes", "01-passes") + &entry("differs", "02-differs") + &entry("noisy", "07-noisy")))
}

#[cfg(unix)] // process groups, RLIMIT_AS, signals, symbolic links
#[test]
fn a_broken_cargo_toml_in_one_exercise_does_not_stop_the_others() {
    let root = three_exercises();
    let manifest = root.path().join("exercises/02-differs/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace("edition = \"2024\"", "edition = \"2024\n")).unwrap();
    let got = statuses(root.path());
    assert_eq!((got[0].1.as_str(), got[2].1.as_str()), ("pass", "pass"), "{got:?}");
    assert_eq!(got[1].1, "not_built", "{got:?}");
    assert!(got[1].2.contains("could not be built") && got[1].2.contains("exercises/02-differs/Cargo.toml"), "{got:?}");
    assert!(!got[1].2.contains("lab-standin"), "cargo's message names the learner's file: {got:?}");
    assert!(got[1].2.contains("[edit exercises/02-differs/Cargo.toml]"), "the file to edit is the manifest: {got:?}");
}

#[cfg(unix)] // process groups, RLIMIT_AS, signals, symbolic links
#[test]
fn an_exercise_folder_without_its_manifest_does_not_stop_the_others() {
    let root = three_exercises();
    std::fs::remove_file(root.path().join("exercises/02-differs/Cargo.toml")).unwrap();
    let got = statuses(root.path());
    assert_eq!((got[0].1.as_str(), got[2].1.as_str()), ("pass", "pass"), "{got:?}");
    assert!(got[1].2.contains("exercises/02-differs/Cargo.toml is missing"), "{got:?}");
}

#[test]
fn a_deleted_exercise_folder_does_not_stop_the_others() {
    let root = three_exercises();
    std::fs::remove_dir_all(root.path().join("exercises/02-differs")).unwrap();
    let got = statuses(root.path());
    assert_eq!((got[0].1.as_str(), got[2].1.as_str()), ("pass", "pass"), "{got:?}");
    assert!(got[1].2.contains("exercises/02-differs/Cargo.toml is missing"), "{got:?}");
}

#[test]
fn a_wrong_folder_in_the_track_does_not_stop_the_others() {
    let root = track_with(
        &(entry("passes", "01-passes")
            + &entry("differs", "02-differs").replace("02-differs", "02-diffres")
            + &entry("noisy", "07-noisy")),
    );
    std::fs::copy(root.path().join("snapshots/02-differs.snap"), root.path().join("snapshots/02-diffres.snap"))
        .unwrap();
    let got = statuses(root.path());
    assert_eq!((got[0].1.as_str(), got[2].1.as_str()), ("pass", "pass"), "{got:?}");
    assert!(got[1].2.contains("exercises/02-diffres/Cargo.toml is missing"), "{got:?}");
}

/// Every text file of `dir` with CRLF line endings, as `core.autocrlf=true` checks out.
fn to_crlf(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().unwrap() != "target" {
                to_crlf(&path);
            }
        } else if let Ok(text) = std::fs::read_to_string(&path) {
            std::fs::write(&path, text.replace("\r\n", "\n").replace('\n', "\r\n")).unwrap();
        }
    }
}

#[test]
fn a_crlf_checkout_grades_as_an_lf_one() {
    let root = track_with(&(entry("passes", "01-passes") + &entry("differs", "02-differs")));
    let track = root.path().join("exercises/track.toml");
    let text =
        std::fs::read_to_string(&track).unwrap().replace("snapshots = ", "harness = [\"expected.rs\"]\nsnapshots = ");
    std::fs::write(&track, text).unwrap();
    let loaded = checker::track::Track::load(root.path()).unwrap();
    let fingerprint = checker::integrity::harness_fingerprint(&loaded).unwrap();
    std::fs::write(root.path().join("snapshots/harness.snap"), format!("---\nsource: x\n---\n{fingerprint}\n"))
        .unwrap();
    to_crlf(root.path());
    let got = statuses(root.path());
    assert_eq!(got[0].1, "pass", "{got:?}");
    assert!(got[1].2.contains("differs from the expected in"), "{got:?}");
}

#[test]
fn the_repository_checks_out_snapshots_sources_and_scripts_with_lf() {
    let lab = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let files = [
        "checker/snapshots/01-resource.snap",
        "checker/src/lib.rs",
        "exercises/track.toml",
        "Cargo.lock",
        "README.md",
        ".github/workflows/classroom.yml",
        ".github/classroom/changes-outside-exercises.sh",
        "slides/render.sh",
    ];
    let out = std::process::Command::new("git").current_dir(lab).args(["check-attr", "eol", "--"]).args(files).output();
    let text = String::from_utf8(out.unwrap().stdout).unwrap();
    for file in files {
        assert!(text.contains(&format!("{file}: eol: lf")), "{file} is not checked out with LF:\n{text}");
    }
}

#[cfg(target_os = "linux")] // reads /proc
#[test]
fn ctrl_c_ends_the_check_s_processes_too() {
    let root = track_with(&entry("spawns", "09-spawns"));
    let pid_file = root.path().join("helper.pid");
    let mut checker = std::process::Command::new(env!("CARGO_BIN_EXE_checker"))
        .env("LAB_ROOT", root.path())
        .env("CARGO_TARGET_DIR", root.path().join("target"))
        .env("FIXTURE_PID_FILE", &pid_file)
        .env("FIXTURE_HANG", "1")
        .args(["check", "spawns", "--timeout", "120"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !pid_file.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    let helper = std::fs::read_to_string(&pid_file).unwrap();
    // What the terminal does on Ctrl-C: SIGINT to the checker.
    let sent = std::process::Command::new("kill").args(["-INT", &checker.id().to_string()]).status().unwrap();
    assert!(sent.success());
    checker.wait().unwrap();
    assert!(gone(&helper), "the exercise's helper {helper} outlived Ctrl-C");
}

/// A build's progress shows on a terminal (a first run compiles for minutes), one line
/// redrawn in place; piped output (CI, the Classroom) gets none of it.
#[test]
fn a_build_shows_its_progress_on_a_terminal_only() {
    let target = tempfile::tempdir().unwrap();
    let binary = assert_cmd::cargo::cargo_bin("checker");
    // Quoted for the shell `script` runs it with: the lab's path may hold a space.
    let quoted = format!("'{}'", binary.display().to_string().replace('\'', r"'\''"));
    let command = format!("{quoted} --timeout 3 --no-cache check 1");
    // `script` gives the checker a terminal; the fresh target folder makes cargo compile.
    let on_terminal = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("LAB_ROOT", fixture())
        .env("CARGO_TARGET_DIR", target.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("`script` (util-linux) runs the checker on a terminal");
    let text = String::from_utf8_lossy(&on_terminal.stdout);
    assert!(text.contains("building: 1 crates compiled, last"), "{text}");
    assert!(text.contains("1. Passes"), "{text}");

    std::fs::remove_dir_all(target.path().join("debug")).unwrap();
    let piped = checker().env("CARGO_TARGET_DIR", target.path()).args(["--no-cache", "check", "1"]).output().unwrap();
    let all = format!("{}{}", String::from_utf8_lossy(&piped.stdout), String::from_utf8_lossy(&piped.stderr));
    assert!(!all.contains("building:"), "{all}");
}

#[cfg(unix)] // the exercise takes the checker's place (exec)
#[test]
fn run_serves_an_exercise_with_the_environment_and_exit_code_as_they_are() {
    let root = three_exercises();
    let out = root.path().join("handed-over.yaml");
    // The fixture's exercise hands its document to the file named in its environment,
    // then exits 0: `run` passed the environment through, and the exit code is its own.
    checker_in(root.path())
        .args(["run", "1"])
        .env("LAB_SCENARIO", "distance")
        .env("LAB_CAPTURE_OUT", &out)
        .assert()
        .success()
        .stderr(predicate::str::contains("Running ex01-passes (exercises/01-passes) for real"));
    assert!(std::fs::read_to_string(&out).unwrap().contains("service.version"), "the exercise did not run");
    checker_in(root.path())
        .args(["run", "1"])
        .env("LAB_SCENARIO", "elsewhere")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("lab: unknown scenario `elsewhere`"));
}

#[cfg(unix)] // symbolic links (the stand-in workspace)
#[test]
fn run_still_serves_one_exercise_when_another_s_manifest_is_broken() {
    let root = three_exercises();
    let manifest = root.path().join("exercises/02-differs/Cargo.toml");
    std::fs::write(&manifest, "[package\n").unwrap();
    let out = root.path().join("handed-over.yaml");
    checker_in(root.path())
        .args(["run", "1"])
        .env("LAB_SCENARIO", "distance")
        .env("LAB_CAPTURE_OUT", &out)
        .assert()
        .success();
    assert!(out.is_file(), "exercise 1 did not run");
    checker_in(root.path()).args(["run", "2"]).assert().code(1).stderr(
        predicate::str::contains("could not be built").and(predicate::str::contains("exercises/02-differs/Cargo.toml")),
    );
}
