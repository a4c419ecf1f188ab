//! The reference solution after a pass (`solution`), run as a learner runs it (the student
//! edition's sealed solutions: `edition.rs`).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/track")
}

/// A copy of the fixture track: `solution --give-up` writes into the lab's `.lab/`.
fn fixture_copy() -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    copy_dir(&fixture(), copy.path());
    copy
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() == ".lab" || entry.file_name() == "target" {
                continue;
            }
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn checker(root: &Path) -> Command {
    let mut cmd = Command::cargo_bin("checker").unwrap();
    cmd.env("LAB_ROOT", root)
        .env("CARGO_TARGET_DIR", Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixture-track"))
        .env("NO_COLOR", "1")
        .args(["--timeout", "3"]);
    cmd
}

fn json(output: &[u8]) -> Value {
    serde_json::from_slice(output).expect("--format json prints one JSON document")
}

#[test]
fn the_solution_is_shown_as_a_diff_once_the_exercise_passes() {
    let lab = fixture_copy();
    // Exercise 1 passes: its starter and solution differ in one comment line.
    let yours = lab.path().join("exercises/01-passes/src/main.rs");
    let text = std::fs::read_to_string(&yours).unwrap();
    std::fs::write(&yours, format!("// my own way of doing it\n{text}")).unwrap();
    checker(lab.path())
        .args(["solution", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("1. Passes: the reference solution"))
        .stdout(predicate::str::contains("--- exercises/01-passes/src/main.rs"))
        .stdout(predicate::str::contains("+++ solutions/01-passes/src/main.rs"))
        .stdout(predicate::str::contains("-// my own way of doing it"));
    assert!(!lab.path().join(".lab/gave-up.txt").exists(), "a pass is not giving up");
}

#[test]
fn before_a_pass_the_solution_is_refused_and_the_next_hint_suggested() {
    let lab = fixture_copy();
    checker(lab.path())
        .args(["solution", "2"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("2. Differs does not pass yet, so its reference solution stays hidden"))
        .stdout(predicate::str::contains("`cargo run -p checker -- hint 2` shows hint 1 of 2"))
        .stdout(predicate::str::contains("--give-up").and(predicate::str::contains("+++").not()));
    // After a hint, the suggestion moves on to the next one.
    checker(lab.path()).args(["hint", "2"]).assert().success();
    checker(lab.path()).args(["solution", "2"]).assert().code(1).stdout(predicate::str::contains("shows hint 2 of 2"));
}

#[test]
fn giving_up_shows_the_solution_and_is_recorded_for_the_instructor() {
    let lab = fixture_copy();
    checker(lab.path())
        .args(["solution", "differs", "--give-up"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Recorded in .lab/gave-up.txt"))
        .stdout(predicate::str::contains("+++ solutions/02-differs/src/main.rs"));
    assert_eq!(std::fs::read_to_string(lab.path().join(".lab/gave-up.txt")).unwrap(), "differs\n");
    let out = checker(lab.path()).args(["--format", "json", "list"]).output().unwrap();
    let report = json(&out.stdout);
    let gave_up: Vec<(&str, bool)> = report["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["id"].as_str().unwrap(), e["gave_up"].as_bool().unwrap_or(false)))
        .filter(|(_, g)| *g)
        .collect();
    assert_eq!(gave_up, [("differs", true)]);
}

#[test]
fn giving_up_shows_nothing_when_it_cannot_be_recorded() {
    let lab = fixture_copy();
    // A file where the folder `.lab/` goes: gave-up.txt cannot be written.
    std::fs::write(lab.path().join(".lab"), "not a folder").unwrap();
    checker(lab.path())
        .args(["solution", "differs", "--give-up"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the solution was not shown"))
        .stdout(predicate::str::contains("+++").not());
}
