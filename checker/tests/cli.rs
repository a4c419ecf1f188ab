//! The checker's command line, run as a learner runs it, against a fixture track of tiny
//! exercises that pass, differ, do not compile, panic, hang, exit early or print garbage
//! (`tests/fixtures/track`). The last test runs `verify` on the lab itself.

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
        .stdout(predicate::str::contains("the places table is empty"));
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

/// The lab itself: every starter fails, every solution passes (builds every exercise).
#[test]
fn verify_passes_on_the_lab() {
    let out = Command::cargo_bin("checker")
        .unwrap()
        .env_remove("LAB_ROOT")
        .env("NO_COLOR", "1")
        .arg("verify")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.lines().last().unwrap().starts_with("verify: "), "{text}");
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
