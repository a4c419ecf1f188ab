//! `reset` never loses a learner's work: it asks first, keeps a copy, and restores the
//! starter the lab handed out (recorded in `starters.toml`), never the learner's history.

use std::path::Path;
use std::process::Command as Std;

use assert_cmd::Command;
use predicates::prelude::*;

/// A git checkout of the fixture track, with the learner's edit on exercise 2.
fn checkout_with_an_edit() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/track");
    std::fs::create_dir_all(root.path().join("exercises/02-differs/src")).unwrap();
    std::fs::create_dir_all(root.path().join("snapshots")).unwrap();
    std::fs::copy(fixture.join("exercises/track.toml"), root.path().join("exercises/track.toml")).unwrap();
    std::fs::write(root.path().join("exercises/02-differs/src/main.rs"), "// starter\n").unwrap();
    std::fs::write(root.path().join("exercises/02-differs/Cargo.toml"), "[package]\n").unwrap();
    git_in(root.path(), &["init", "-q"]);
    let starters = checker(root.path()).arg("starters").output().unwrap();
    assert!(starters.status.success(), "{}", String::from_utf8_lossy(&starters.stderr));
    std::fs::write(root.path().join("snapshots/starters.toml"), starters.stdout).unwrap();
    let git = |args: &[&str]| {
        let ok = Std::new("git")
            .current_dir(root.path())
            .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"])
            .args(args)
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["add", "."]);
    git(&["commit", "-qm", "starters"]);
    std::fs::write(root.path().join("exercises/02-differs/src/main.rs"), "// my work\n").unwrap();
    root
}

fn checker(root: &Path) -> Command {
    let mut cmd = Command::cargo_bin("checker").unwrap();
    cmd.env("LAB_ROOT", root);
    cmd
}

fn reset(root: &Path) -> Command {
    let mut cmd = checker(root);
    cmd.env("LAB_ASSUME_TTY", "1").args(["reset", "differs"]);
    cmd
}

fn git_in(root: &Path, args: &[&str]) {
    let ok = Std::new("git")
        .current_dir(root)
        .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"])
        .args(args)
        .status()
        .unwrap()
        .success();
    assert!(ok, "git {args:?}");
}

fn read(root: &Path, file: &str) -> String {
    std::fs::read_to_string(root.join(file)).unwrap()
}

#[test]
fn no_answer_changes_nothing() {
    let root = checkout_with_an_edit();
    reset(root.path()).write_stdin("n\n").assert().success().stdout(predicate::str::contains("Nothing changed."));
    assert_eq!(read(root.path(), "exercises/02-differs/src/main.rs"), "// my work\n");
    assert!(!root.path().join(".lab/backups").exists());
}

#[test]
fn yes_restores_the_starter_and_keeps_a_copy() {
    let root = checkout_with_an_edit();
    reset(root.path()).write_stdin("y\n").assert().success().stdout(predicate::str::contains("is back to its starter"));
    assert_eq!(read(root.path(), "exercises/02-differs/src/main.rs"), "// starter\n");
    let backups: Vec<_> = std::fs::read_dir(root.path().join(".lab/backups/differs")).unwrap().collect();
    assert_eq!(backups.len(), 1);
    let copy = backups[0].as_ref().unwrap().path().join("src/main.rs");
    assert_eq!(std::fs::read_to_string(copy).unwrap(), "// my work\n");
}

#[test]
fn without_a_terminal_it_asks_for_yes() {
    let root = checkout_with_an_edit();
    let mut cmd = Command::cargo_bin("checker").unwrap();
    cmd.env("LAB_ROOT", root.path()).env_remove("LAB_ASSUME_TTY").args(["reset", "2"]);
    cmd.assert().code(2).stderr(predicate::str::contains("add --yes"));
    assert_eq!(read(root.path(), "exercises/02-differs/src/main.rs"), "// my work\n");
    let mut cmd = Command::cargo_bin("checker").unwrap();
    cmd.env("LAB_ROOT", root.path()).args(["reset", "2", "--yes"]).assert().success();
    assert_eq!(read(root.path(), "exercises/02-differs/src/main.rs"), "// starter\n");
}

#[test]
fn the_starter_is_what_the_lab_handed_out_not_the_learner_s_pushed_work() {
    let root = checkout_with_an_edit();
    // As GitHub Classroom asks: the learner commits and pushes their work.
    let origin = tempfile::tempdir().unwrap();
    git_in(origin.path(), &["init", "-q", "--bare"]);
    git_in(root.path(), &["commit", "-qam", "my work"]);
    git_in(root.path(), &["remote", "add", "origin", origin.path().to_str().unwrap()]);
    git_in(root.path(), &["push", "-q", "origin", "main"]);
    git_in(root.path(), &["remote", "set-head", "origin", "main"]);
    reset(root.path()).write_stdin("y\n").assert().success();
    assert_eq!(read(root.path(), "exercises/02-differs/src/main.rs"), "// starter\n");
}

#[test]
fn a_deleted_exercise_folder_is_brought_back() {
    let root = checkout_with_an_edit();
    std::fs::remove_dir_all(root.path().join("exercises/02-differs")).unwrap();
    reset(root.path()).write_stdin("y\n").assert().success().stdout(predicate::str::contains("nothing to back up"));
    assert_eq!(read(root.path(), "exercises/02-differs/src/main.rs"), "// starter\n");
}

#[cfg(unix)] // symbolic links
#[test]
fn a_symlink_to_a_folder_is_backed_up_as_a_link_and_the_reset_completes() {
    let root = checkout_with_an_edit();
    let folder = root.path().join("exercises/02-differs");
    std::os::unix::fs::symlink("../..", folder.join("up")).unwrap();
    // A link where a starter folder goes, too.
    std::fs::remove_dir_all(folder.join("src")).unwrap();
    std::os::unix::fs::symlink("..", folder.join("src")).unwrap();
    reset(root.path()).write_stdin("y\n").assert().success().stdout(predicate::str::contains("is back to its starter"));
    assert_eq!(read(root.path(), "exercises/02-differs/src/main.rs"), "// starter\n");
    assert!(std::fs::symlink_metadata(folder.join("src")).unwrap().is_dir(), "src is a real folder again");
    let backups = root.path().join(".lab/backups/differs");
    let backup = std::fs::read_dir(&backups).unwrap().next().unwrap().unwrap().path();
    assert_eq!(std::fs::read_link(backup.join("up")).unwrap(), Path::new("../.."), "the link is kept as a link");
}

/// The lab's own list of starters is up to date with its exercise folders.
#[test]
fn the_lab_s_starters_are_recorded() {
    let lab = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = checker(lab).arg("starters").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let committed = std::fs::read_to_string(lab.join("checker/snapshots/starters.toml")).unwrap_or_default();
    assert!(
        committed == String::from_utf8(out.stdout).unwrap(),
        "checker/snapshots/starters.toml is not up to date with exercises/; regenerate it with\n  \
         cargo run -p checker -- starters > checker/snapshots/starters.toml"
    );
}
