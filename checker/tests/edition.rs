//! The student edition (`student-edition`), run as an instructor and a learner run it: what
//! it ships (the committed starters, nothing of the instructor's working tree), and what
//! works inside it (grading, hints one at a time, the sealed solutions, `show --solution`,
//! and the edition's own test command).
//!
//! These tests need the lab's solutions, so the edition leaves this file out
//! (`checker/src/edition.rs`, `LEFT_OUT`).

use std::path::{Path, PathBuf};
use std::process::Command as Std;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn lab_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Std::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn export(lab: &Path, out: &Path) -> Command {
    let mut cmd = Command::cargo_bin("checker").unwrap();
    cmd.env("LAB_ROOT", lab).env("NO_COLOR", "1").arg("student-edition").arg(out);
    cmd
}

/// The starters as recorded: exercise folder -> git tree.
fn starters(lab: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(lab.join("checker/snapshots/starters.toml")).unwrap();
    let table: toml::Table = text.parse().unwrap();
    table["starters"].as_table().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())).collect()
}

fn hints(lab: &Path) -> Vec<String> {
    let table: toml::Table = std::fs::read_to_string(lab.join("exercises/track.toml")).unwrap().parse().unwrap();
    table["exercise"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["hints"].as_array().unwrap().iter().map(|h| h.as_str().unwrap().to_string()))
        .collect()
}

/// An instructor's clone of the lab at its last commit, then a day of the instructor's
/// work: exercise 1 solved and committed, `.lab/gave-up.txt` committed, exercise 2 edited
/// without a commit, an untracked note, a `.lab/` of their own.
fn an_instructor_s_lab() -> tempfile::TempDir {
    let lab = tempfile::tempdir().unwrap();
    let head = git(&lab_root(), &["rev-parse", "HEAD"]);
    git(lab.path(), &["clone", "-q", "--no-checkout", lab_root().to_str().unwrap(), "."]);
    git(lab.path(), &["checkout", "-q", "--detach", head.trim()]);
    let root = lab.path();
    std::fs::copy(
        root.join("solutions/01-resource/src/telemetry.rs"),
        root.join("exercises/01-resource/src/telemetry.rs"),
    )
    .unwrap();
    std::fs::create_dir_all(root.join(".lab")).unwrap();
    std::fs::write(root.join(".lab/gave-up.txt"), "resource\n").unwrap();
    git(root, &["add", "-f", "exercises/01-resource", ".lab/gave-up.txt"]);
    git(root, &["commit", "-qm", "the instructor solved exercise 1"]);
    let edited = root.join("exercises/02-tracer-provider/src/telemetry.rs");
    std::fs::write(&edited, "// half done\n").unwrap();
    std::fs::write(root.join("NOTES-for-the-answers.md"), "the answer to 3 is ...\n").unwrap();
    std::fs::write(root.join(".lab/state.json"), "{\"current\": \"first-span\"}").unwrap();
    lab
}

#[test]
fn the_edition_ships_the_committed_starters_and_nothing_of_the_instructor_s_working_tree() {
    let lab = an_instructor_s_lab();
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("student");
    export(lab.path(), &out)
        .assert()
        .success()
        .stdout(predicate::str::contains("from the lab's last commit"))
        .stdout(predicate::str::contains("uncommitted changes"));

    // Every exercise folder is its recorded starter, tree for tree (even exercise 1,
    // solved and committed by the instructor).
    for (dir, tree) in starters(&lab_root()) {
        assert_eq!(git(&out, &["rev-parse", &format!("HEAD:exercises/{dir}")]).trim(), tree, "exercises/{dir}");
    }
    assert!(!out.join("NOTES-for-the-answers.md").exists(), "an untracked note went along");
    assert!(!out.join(".lab").exists(), "the instructor's .lab/ went along");
    assert!(!git(&out, &["ls-files"]).lines().any(|f| f.contains(".lab/")), "the edition commits no .lab/");
    assert_eq!(git(&out, &["status", "--porcelain"]), "", "the edition is all in its one commit");
    for gone in ["solutions", "checker/variants", "checker/tests/snapshots.rs", "checker/tests/edition.rs", ".ci"] {
        assert!(!out.join(gone).exists(), "{gone} must not be in the student edition");
    }
    for kept in [
        "checker/snapshots/01-resource.snap",
        ".github/workflows/classroom.yml",
        ".github/classroom/changes-outside-exercises.sh",
    ] {
        assert!(out.join(kept).is_file(), "{kept} must be in the student edition");
    }

    // No hint and no solution line in plain text: the track has no hints, the seal hides
    // them.
    let track = std::fs::read_to_string(out.join("exercises/track.toml")).unwrap();
    let table: toml::Table = track.parse().unwrap();
    assert!(table["exercise"].as_array().unwrap().iter().all(|e| e.get("hints").is_none()), "{track}");
    let sealed = String::from_utf8_lossy(&std::fs::read(out.join("checker/sealed.bin")).unwrap()).into_owned();
    let solution = std::fs::read_to_string(lab_root().join("solutions/01-resource/src/telemetry.rs")).unwrap();
    let answer_line = solution.lines().find(|l| l.contains("with_service_name")).unwrap().trim();
    for secret in hints(&lab_root()).iter().map(String::as_str).chain([answer_line]) {
        assert!(!track.contains(secret) && !sealed.contains(secret), "in plain text in the edition: {secret}");
    }

    // Nothing overwritten: a second export into the same folder is refused.
    export(lab.path(), &out).assert().code(2).stderr(predicate::str::contains("already exists and is not empty"));
}

#[test]
fn without_git_history_the_edition_is_refused() {
    let lab = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/track");
    std::fs::create_dir_all(lab.path().join("exercises")).unwrap();
    std::fs::create_dir_all(lab.path().join("solutions")).unwrap();
    std::fs::copy(fixture.join("exercises/track.toml"), lab.path().join("exercises/track.toml")).unwrap();
    git(lab.path(), &["init", "-q"]);
    let out = lab.path().join("student");
    export(lab.path(), &out).assert().code(2).stderr(predicate::str::contains("no git history to export from"));
    assert!(!out.exists(), "nothing was written");
}

/// The learner's commands inside a real edition, with its own checker (the lab's target
/// folder is shared, so the dependencies are not built again).
#[test]
fn in_the_edition_hints_and_solutions_are_revealed_one_at_a_time_and_on_terms() {
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("student");
    export(&lab_root(), &out).assert().success();
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().to_path_buf();
    let in_edition = |args: &[&str]| {
        let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cmd.current_dir(&out)
            .env("CARGO_TARGET_DIR", &target)
            .env("NO_COLOR", "1")
            .env_remove("LAB_ROOT")
            .args(["run", "--locked", "-q", "-p", "checker", "--"])
            .args(args);
        cmd
    };
    let json = |output: &[u8]| -> Value { serde_json::from_slice(output).expect("one JSON document") };

    // Graded against the snapshot (not refused as tampered or missing).
    let report = json(&in_edition(&["check", "1", "--format", "json"]).assert().code(1).get_output().stdout);
    assert_eq!(report["exercises"][0]["status"], "fail", "{report}");
    assert!(report["exercises"][0]["differences"].to_string().contains("service.name"), "{report}");

    // Hints come out of the seal one at a time.
    let lab_hints: toml::Table =
        std::fs::read_to_string(lab_root().join("exercises/track.toml")).unwrap().parse().unwrap();
    let first = lab_hints["exercise"][0]["hints"].as_array().unwrap();
    let (one, two) = (first[0].as_str().unwrap(), first[1].as_str().unwrap());
    in_edition(&["hint", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains(one).and(predicate::str::contains(two).not()));
    // Before a pass the solution is refused, naming the next hint.
    in_edition(&["solution", "1"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("does not pass yet"))
        .stdout(predicate::str::contains(format!("`cargo run -p checker -- hint 1` shows hint 2 of {}", first.len())))
        .stdout(predicate::str::contains("+++").not());
    in_edition(&["hint", "1"]).assert().success().stdout(predicate::str::contains(two));

    // `show --solution` draws the expected telemetry, from the snapshot.
    in_edition(&["show", "1", "--solution"])
        .assert()
        .success()
        .stdout(predicate::str::contains("what the reference solution emits"))
        .stdout(predicate::str::contains("service.name=\"iss-distance\""));

    // Giving up is shown only once it is recorded.
    let (state, kept) = (out.join(".lab"), parent.path().join("lab-state"));
    std::fs::rename(&state, &kept).unwrap();
    std::fs::write(&state, "a file where the folder .lab/ goes: nothing can be recorded").unwrap();
    in_edition(&["solution", "2", "--give-up"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the solution was not shown"))
        .stdout(predicate::str::contains("+++").not());
    std::fs::remove_file(&state).unwrap();
    std::fs::rename(&kept, &state).unwrap();
    in_edition(&["solution", "2", "--give-up"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Recorded in .lab/gave-up.txt"))
        .stdout(predicate::str::contains("+++ solutions/02-tracer-provider/src/telemetry.rs"));
    assert_eq!(std::fs::read_to_string(out.join(".lab/gave-up.txt")).unwrap(), "tracer-provider\n");
    let report = json(&in_edition(&["list", "--format", "json"]).output().unwrap().stdout);
    let gave_up: Vec<&str> = report["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["gave_up"].as_bool() == Some(true))
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(gave_up, ["tracer-provider"]);

    // After a pass: the reference as a diff against the learner's code.
    let solved = std::fs::read_to_string(lab_root().join("solutions/01-resource/src/telemetry.rs")).unwrap();
    let edited = out.join("exercises/01-resource/src/telemetry.rs");
    let starter = std::fs::read_to_string(&edited).unwrap();
    std::fs::write(&edited, format!("// my own way of doing it\n{solved}")).unwrap();
    in_edition(&["solution", "1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("1. Resource: the reference solution"))
        .stdout(predicate::str::contains("--- exercises/01-resource/src/telemetry.rs"))
        .stdout(predicate::str::contains("+++ solutions/01-resource/src/telemetry.rs"))
        .stdout(predicate::str::contains("-// my own way of doing it"));
    assert_eq!(std::fs::read_to_string(out.join(".lab/gave-up.txt")).unwrap(), "tracer-provider\n");

    // The maintainers' commands refuse; `reset` finds the starters in the edition's history.
    in_edition(&["verify"]).assert().code(2).stderr(predicate::str::contains("student edition"));
    in_edition(&["reset", "1", "--yes"]).assert().success();
    assert_eq!(std::fs::read_to_string(&edited).unwrap(), starter);
}

/// The edition's README says `cargo test --workspace --locked` runs its tests: it does, in
/// a folder whose path has a space, with the edition's own target folder (a cold build of
/// everything, then every test: 14.5 minutes on 2 cores shared with other builds). Run it
/// with `cargo test -p checker --test edition -- --ignored` (`.ci/run` does).
#[test]
#[ignore = "builds the whole edition from cold and runs its tests (long)"]
fn the_edition_s_own_test_command_passes_in_a_path_with_a_space() {
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("student edition");
    export(&lab_root(), &out).assert().success();
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(readme.contains("cargo test --workspace --locked"), "the edition's README names its test command");
    let status = Std::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(&out)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("LAB_ROOT")
        .args(["test", "--workspace", "--locked"])
        .status()
        .unwrap();
    assert!(status.success(), "`cargo test --workspace --locked` failed in the edition at {}", out.display());
}
