//! `reset` never loses a learner's work: it asks first, keeps a copy, and restores only
//! the starter from git.

use std::path::Path;
use std::process::Command as Std;

use assert_cmd::Command;
use predicates::prelude::*;

/// A git checkout of the fixture track, with the learner's edit on exercise 2.
fn checkout_with_an_edit() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/track");
    std::fs::create_dir_all(root.path().join("exercises/02-differs/src")).unwrap();
    std::fs::copy(fixture.join("exercises/track.toml"), root.path().join("exercises/track.toml")).unwrap();
    std::fs::write(root.path().join("exercises/02-differs/src/main.rs"), "// starter\n").unwrap();
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
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "starters"]);
    std::fs::write(root.path().join("exercises/02-differs/src/main.rs"), "// my work\n").unwrap();
    root
}

fn reset(root: &Path) -> Command {
    let mut cmd = Command::cargo_bin("checker").unwrap();
    cmd.env("LAB_ROOT", root).env("LAB_ASSUME_TTY", "1").args(["reset", "differs"]);
    cmd
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
