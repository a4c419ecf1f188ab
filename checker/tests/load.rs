//! The checker under a class's load: clones that share a target folder, two checkers at
//! once, a dependency cargo cannot resolve, the exercises' workspace files broken or
//! deleted (issue 19). Each test grades a copy of the fixture track
//! (`tests/fixtures/track`).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/track")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
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

/// A copy of the fixture track whose track lists passes, differs and noisy.
fn three_exercises() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    copy_tree(&fixture(), root.path());
    let header = std::fs::read_to_string(fixture().join("exercises/track.toml")).unwrap();
    let header = header.split("[[exercise]]").next().unwrap().to_string();
    let entries = entry("passes", "01-passes") + &entry("differs", "02-differs") + &entry("noisy", "07-noisy");
    std::fs::write(root.path().join("exercises/track.toml"), header + &entries).unwrap();
    root
}

/// The checker on `root`, building into `root/target` unless told otherwise.
fn checker_in(root: &Path) -> Command {
    let mut cmd = Command::cargo_bin("checker").unwrap();
    cmd.env("LAB_ROOT", root)
        .env("CARGO_TARGET_DIR", root.join("target"))
        .env("NO_COLOR", "1")
        .args(["--timeout", "10"]);
    cmd
}

/// (id, status, message and details) of each exercise of a JSON report.
fn statuses(output: &[u8]) -> Vec<(String, String, String)> {
    let report: Value = serde_json::from_slice(output).expect("one JSON document");
    report["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let text = format!("{} {}", e["message"].as_str().unwrap(), e["details"].as_str().unwrap_or_default());
            (e["id"].as_str().unwrap().to_string(), e["status"].as_str().unwrap().to_string(), text)
        })
        .collect()
}

fn report(cmd: &mut Command) -> Vec<(String, String, String)> {
    statuses(&cmd.args(["--format", "json"]).assert().code(1).get_output().stdout)
}

/// Makes exercise 1 of the copy depend on a crate outside the exercises' workspace, as the
/// lab's exercises depend on `checker/lab`: cargo tells two clones' builds apart by it.
fn with_a_harness_crate(root: &Path) {
    std::fs::create_dir_all(root.join("harness/src")).unwrap();
    std::fs::write(
        root.join("harness/Cargo.toml"),
        "[package]\nname = \"harness\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n",
    )
    .unwrap();
    std::fs::write(root.join("harness/src/lib.rs"), "").unwrap();
    let manifest = root.join("exercises/01-passes/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text + "\n[dependencies]\nharness = { path = \"../../harness\" }\n").unwrap();
    // The lock file as the lab hands it out: up to date with the manifests.
    let locked = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["generate-lockfile", "--offline", "--manifest-path"])
        .arg(root.join("exercises/Cargo.toml"))
        .status()
        .unwrap();
    assert!(locked.success());
}

/// A stand-in for cargo that runs it, logs the command, and after a build builds another
/// clone into the shared target folder, as that clone's learner (or checker) does at the
/// same moment: the shared `target/debug/<bin>` is then the other clone's.
#[cfg(unix)]
fn cargo_beside_another_clone(dir: &Path, log: &Path, shared: &Path, other: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let real = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let script = dir.join("cargo-beside");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n\"{real}\" \"$@\"\nstatus=$?\necho \"$1\" >> \"{log}\"\nif [ \"$1\" = build ]; then\n  \
             env -u CARGO_BUILD_BUILD_DIR CARGO_TARGET_DIR=\"{shared}\" \"{real}\" build -q -p ex01-passes --manifest-path \
             \"{other}\" >/dev/null 2>&1\nfi\nexit $status\n",
            log = log.display(),
            shared = shared.display(),
            other = other.join("exercises/Cargo.toml").display(),
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

/// Every uplifted `ex01-passes` binary below `dir` (not the hashed ones in `deps/`).
fn uplifted(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            uplifted(&path, found);
        } else if entry.file_name() == "ex01-passes" {
            found.push(path);
        }
    }
}

#[cfg(unix)]
#[test]
fn two_clones_sharing_a_target_folder_each_grade_their_own_build() {
    let shared = tempfile::tempdir().unwrap();
    let mine = three_exercises();
    let theirs = three_exercises();
    with_a_harness_crate(mine.path());
    with_a_harness_crate(theirs.path());
    // Their exercise 1 is a starter: it does not pass.
    std::fs::copy(
        fixture().join("exercises/02-differs/src/main.rs"),
        theirs.path().join("exercises/01-passes/src/main.rs"),
    )
    .unwrap();
    let log = mine.path().join("cargo.log");
    let cargo = cargo_beside_another_clone(mine.path(), &log, shared.path(), theirs.path());
    let check = || {
        let mut cmd = checker_in(mine.path());
        cmd.env("CARGO_TARGET_DIR", shared.path()).env("CARGO", &cargo).args(["check", "passes"]);
        statuses(&cmd.args(["--no-cache", "--format", "json"]).assert().success().get_output().stdout)
    };
    let got = check();
    assert_eq!(got[0].1, "pass", "graded the other clone's binary: {got:?}");

    // The verdict is cached with the binary it came from: reused while that binary is
    // there, graded again once it is gone (or was re-linked).
    let cached = || {
        let mut cmd = checker_in(mine.path());
        cmd.env("CARGO_TARGET_DIR", shared.path()).env("CARGO", &cargo).args(["check", "passes"]);
        statuses(&cmd.args(["--format", "json"]).assert().success().get_output().stdout)
    };
    assert_eq!(cached()[0].1, "pass");
    let builds = || std::fs::read_to_string(&log).unwrap().lines().filter(|l| *l == "build").count();
    let before = builds();
    assert_eq!(cached()[0].1, "pass");
    assert_eq!(builds(), before, "nothing changed, yet the checker built again");
    let mut binaries = Vec::new();
    uplifted(shared.path(), &mut binaries);
    assert!(!binaries.is_empty());
    for binary in binaries {
        std::fs::remove_file(binary).unwrap();
    }
    assert_eq!(cached()[0].1, "pass");
    assert_eq!(builds(), before + 1, "the binary the verdict came from is gone, yet the verdict was reused");
}

/// Breaks exercise 2's manifest in `root`.
fn break_differs(root: &Path) {
    let manifest = root.join("exercises/02-differs/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace("edition = \"2024\"", "edition = \"2024\n")).unwrap();
}

#[cfg(unix)] // the stand-in workspace
#[test]
fn two_checkers_at_once_beside_a_broken_manifest_both_grade_the_healthy_exercises() {
    let root = three_exercises();
    break_differs(root.path());
    for round in 0..3 {
        let start = || {
            std::process::Command::new(env!("CARGO_BIN_EXE_checker"))
                .env("LAB_ROOT", root.path())
                .env("CARGO_TARGET_DIR", root.path().join("target"))
                .args(["--no-cache", "--format", "json", "--timeout", "10"])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (one, two) = (start(), start());
        for child in [one, two] {
            let out = child.wait_with_output().unwrap();
            let got = statuses(&out.stdout);
            let kinds: Vec<&str> = got.iter().map(|g| g.1.as_str()).collect();
            assert_eq!(kinds, ["pass", "not_built", "pass"], "round {round}: {got:?}");
        }
    }
}

#[cfg(unix)] // the stand-in workspace
#[test]
fn a_dependency_cargo_cannot_resolve_stops_only_its_exercise() {
    let root = three_exercises();
    let manifest = root.path().join("exercises/02-differs/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text + "\n[dependencies]\nserde_jsno = \"1\"\n").unwrap();
    // Offline, as a learner without network (and no test reaches the registry).
    let got = report(checker_in(root.path()).env("CARGO_NET_OFFLINE", "true"));
    assert_eq!((got[0].1.as_str(), got[2].1.as_str()), ("pass", "pass"), "{got:?}");
    assert_eq!(got[1].1, "not_built", "{got:?}");
    assert!(got[1].2.contains("serde_jsno"), "cargo's message names the dependency: {got:?}");
    assert!(!got[0].2.contains("serde_jsno"), "{got:?}");
}

#[test]
fn a_deleted_lock_file_is_not_re_resolved_and_says_how_to_restore_it() {
    let root = three_exercises();
    let lock = root.path().join("exercises/Cargo.lock");
    std::fs::remove_file(&lock).unwrap();
    let got = report(&mut checker_in(root.path()));
    assert!(got.iter().all(|g| g.1 == "not_built"), "{got:?}");
    assert!(got[0].2.contains("git checkout -- exercises/Cargo.lock"), "{got:?}");
    assert!(!lock.exists(), "the checker wrote exercises/Cargo.lock");
}

#[cfg(unix)] // the stand-in workspace
#[test]
fn the_checker_never_rewrites_the_exercises_lock_file() {
    let root = three_exercises();
    let lock = root.path().join("exercises/Cargo.lock");
    // An exercise the lock file knows is gone (its folder deleted): cargo would prune it.
    std::fs::remove_dir_all(root.path().join("exercises/15-slow")).unwrap();
    let text = std::fs::read_to_string(&lock).unwrap();
    let got = report(&mut checker_in(root.path()));
    let kinds: Vec<&str> = got.iter().map(|g| g.1.as_str()).collect();
    assert_eq!(kinds, ["pass", "fail", "pass"], "{got:?}");
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), text, "the checker rewrote exercises/Cargo.lock");
}

#[test]
fn a_broken_workspace_manifest_or_lock_file_says_how_to_restore_it() {
    for (file, garbage) in [("exercises/Cargo.toml", "[workspace\n"), ("exercises/Cargo.lock", "[[package]\n")] {
        let root = three_exercises();
        std::fs::write(root.path().join(file), garbage).unwrap();
        let got = report(&mut checker_in(root.path()));
        assert!(got.iter().all(|g| g.1 == "not_built"), "{file}: {got:?}");
        assert!(got[0].2.contains(&format!("git checkout -- {file}")), "{file}: {got:?}");
    }
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
fn a_process_that_leaves_the_capture_s_session_still_ends_with_its_check() {
    let root = tempfile::tempdir().unwrap();
    copy_tree(&fixture(), root.path());
    let header = std::fs::read_to_string(fixture().join("exercises/track.toml")).unwrap();
    let header = header.split("[[exercise]]").next().unwrap().to_string();
    std::fs::write(root.path().join("exercises/track.toml"), header + &entry("spawns", "09-spawns")).unwrap();
    for hang in [false, true] {
        let pid_file = root.path().join("helper.pid");
        let _ = std::fs::remove_file(&pid_file);
        let mut cmd = checker_in(root.path());
        cmd.args(["check", "spawns", "--no-cache", "--timeout", "3"])
            .env("FIXTURE_PID_FILE", &pid_file)
            .env("FIXTURE_SETSID", "1");
        if hang {
            cmd.env("FIXTURE_HANG", "1").assert().code(1);
        } else {
            cmd.assert().success();
        }
        let pid = std::fs::read_to_string(&pid_file).unwrap();
        let session = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let alive = !gone(&pid);
        if alive {
            // Not left for the machine to clean up after a failed test.
            let _ = std::process::Command::new("kill").args(["-9", &pid]).status();
        }
        assert!(!alive, "the helper {pid} (in a session of its own: {session}) outlived the check (hang: {hang})");
    }
}

#[test]
fn a_give_up_that_cannot_be_recorded_shows_no_solution() {
    let root = three_exercises();
    // Something in the way of the record: a folder where its file goes.
    std::fs::create_dir_all(root.path().join(".lab/gave-up.txt")).unwrap();
    let out = checker_in(root.path()).args(["solution", "2", "--give-up"]).assert().failure().get_output().clone();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("+++"), "the solution was shown unrecorded: {stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("so the solution stays hidden"), "{out:?}");
}

#[test]
fn a_give_up_outlives_its_tracked_record_being_deleted() {
    let root = three_exercises();
    checker_in(root.path()).args(["solution", "2", "--give-up"]).assert().success();
    std::fs::remove_file(root.path().join(".lab/gave-up.txt")).unwrap();
    let out = checker_in(root.path()).args(["--format", "json"]).assert().code(1).get_output().stdout.clone();
    let report: Value = serde_json::from_slice(&out).unwrap();
    let gave_up: Vec<bool> =
        report["exercises"].as_array().unwrap().iter().map(|e| e["gave_up"].as_bool().unwrap_or(false)).collect();
    assert_eq!(gave_up, [false, true, false], "{report}");
}

#[cfg(unix)] // the stand-in workspace
#[test]
fn compiler_and_panic_messages_name_the_learner_s_files_with_or_without_the_stand_in() {
    let root = tempfile::tempdir().unwrap();
    copy_tree(&fixture(), root.path());
    let header = std::fs::read_to_string(fixture().join("exercises/track.toml")).unwrap();
    let header = header.split("[[exercise]]").next().unwrap().to_string();
    let entries = entry("differs", "02-differs") + &entry("broken", "03-broken") + &entry("panics", "04-panics");
    std::fs::write(root.path().join("exercises/track.toml"), header + &entries).unwrap();
    let normal = report(checker_in(root.path()).arg("--no-cache"));
    break_differs(root.path());
    let standin = report(checker_in(root.path()).arg("--no-cache"));
    assert_eq!(standin[1], normal[1], "the compile error changed under the stand-in");
    assert_eq!(standin[2], normal[2], "the panic changed under the stand-in");
    assert!(normal[1].2.contains("--> exercises/03-broken/src/main.rs:"), "{normal:?}");
    assert!(normal[2].2.contains("panicked at exercises/04-panics/src/places.rs:"), "{normal:?}");
    assert!(!format!("{standin:?}").contains("lab-standin"), "{standin:?}");
}
