//! The lab's two cargo workspaces: the root's (the checker, the harness, the solutions)
//! and `exercises/` (the crates learners edit). They are apart so that no learner's
//! `Cargo.toml` can stop `cargo run -p checker` from starting; they must agree on
//! versions, features and profile, or every shared crate is compiled twice.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn lab() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn manifest(path: &Path) -> toml::Table {
    std::fs::read_to_string(path).unwrap().parse().unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// `cargo metadata --no-deps` in `dir`: what `cargo run` loads before anything else.
fn loads(dir: &Path, manifest: Option<&str>) -> Result<String, String> {
    let mut cmd = cargo();
    cmd.current_dir(dir).args(["metadata", "--no-deps", "--offline", "--format-version", "1"]);
    if let Some(m) = manifest {
        cmd.args(["--manifest-path", m]);
    }
    let out = cmd.output().unwrap();
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).unwrap())
    } else {
        Err(String::from_utf8(out.stderr).unwrap())
    }
}

#[test]
fn a_broken_exercise_manifest_does_not_stop_the_checker_s_workspace_from_loading() {
    // A copy of the lab's files as git has them, with one exercise's Cargo.toml broken as
    // a learner breaks it.
    let copy = tempfile::tempdir().unwrap();
    let listed = Command::new("git")
        .current_dir(lab())
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .output()
        .unwrap();
    assert!(listed.status.success(), "git ls-files failed");
    for file in String::from_utf8(listed.stdout).unwrap().split('\0').filter(|f| !f.is_empty()) {
        let from = lab().join(file);
        if !from.is_file() {
            continue; // deleted in the working copy
        }
        let to = copy.path().join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
    }
    let broken = copy.path().join("exercises/03-first-span/Cargo.toml");
    let text = std::fs::read_to_string(&broken).unwrap();
    std::fs::write(&broken, text.replacen("[package]", "[package", 1)).unwrap();

    let exercises = loads(copy.path(), Some("exercises/Cargo.toml"));
    assert!(
        exercises.as_ref().is_err_and(|e| e.contains("03-first-span")),
        "the broken manifest should stop the exercises' workspace: {exercises:?}"
    );
    let root = loads(copy.path(), None).unwrap_or_else(|e| {
        panic!(
            "`cargo run -p checker` could not start: the root workspace does not load with one broken exercise:\n{e}"
        )
    });
    assert!(root.contains("\"name\":\"checker\""), "the root workspace has no checker package");
    assert!(!root.contains("\"name\":\"ex03-first-span\""), "the root workspace holds a learner's crate");
}

/// A `[profile]` table without its `incremental` settings, and without the per-package
/// tables that held only those: cargo never builds a crate from crates.io incrementally,
/// so they do not change what the two workspaces share (the lab's own crates are
/// compiled once per workspace anyway).
fn without_incremental(profile: Option<&toml::Value>) -> Option<toml::Value> {
    fn strip(table: &mut toml::Table) {
        table.remove("incremental");
        if let Some(toml::Value::Table(packages)) = table.get_mut("package") {
            for (_, package) in packages.iter_mut() {
                if let toml::Value::Table(package) = package {
                    strip(package);
                }
            }
            packages.retain(|_, package| package.as_table().is_none_or(|t| !t.is_empty()));
        }
    }
    let mut profile = profile?.clone();
    if let toml::Value::Table(profiles) = &mut profile {
        for (_, one) in profiles.iter_mut() {
            if let toml::Value::Table(one) = one {
                strip(one);
            }
        }
    }
    Some(profile)
}

#[test]
fn both_workspaces_share_versions_features_and_profile() {
    let root = manifest(&lab().join("Cargo.toml"));
    let exercises = manifest(&lab().join("exercises/Cargo.toml"));
    let deps = |m: &toml::Table| m["workspace"]["dependencies"].as_table().unwrap().clone();
    let (root_deps, exercise_deps) = (deps(&root), deps(&exercises));
    for (name, spec) in &exercise_deps {
        let Some(theirs) = root_deps.get(name) else {
            panic!("exercises/Cargo.toml has `{name}`, which the root's [workspace.dependencies] lacks");
        };
        if let Some(path) = spec.get("path").and_then(|p| p.as_str()) {
            let ours = std::fs::canonicalize(lab().join("exercises").join(path)).unwrap();
            let theirs = std::fs::canonicalize(lab().join(theirs["path"].as_str().unwrap())).unwrap();
            assert_eq!(ours, theirs, "`{name}` points at another crate in the two workspaces");
        } else {
            assert_eq!(spec, theirs, "`{name}` differs between the two workspaces: every crate would build twice");
        }
    }
    assert_eq!(
        without_incremental(root.get("profile")),
        without_incremental(exercises.get("profile")),
        "the two workspaces' profiles differ"
    );
    assert_eq!(
        root["workspace"]["package"], exercises["workspace"]["package"],
        "the two workspaces' [workspace.package] differ"
    );
}

#[test]
fn the_exercises_lock_file_is_current_and_agrees_with_the_root_s() {
    // --locked: cargo refuses when the lock file would have to change. `cargo tree` resolves
    // the whole graph (every platform's packages are in the lock) but reads the manifests of
    // this platform's packages only, which the build has downloaded; `cargo metadata` would
    // need the wasm-only ones too, which no native build ever downloads, so it passed only
    // where a machine's cargo cache happened to hold them.
    let out = cargo()
        .current_dir(lab())
        .args(["tree", "--locked", "--offline", "--prefix", "none", "--manifest-path", "exercises/Cargo.toml"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "exercises/Cargo.lock is not current (copy the root's Cargo.lock over it and run `cargo metadata \
         --manifest-path exercises/Cargo.toml`):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let packages = |path: &str| -> BTreeSet<(String, String)> {
        let lock = manifest(&lab().join(path));
        lock["package"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["name"].as_str().unwrap().to_string(), p["version"].as_str().unwrap().to_string()))
            .collect()
    };
    let (root, exercises) = (packages("Cargo.lock"), packages("exercises/Cargo.lock"));
    let learners: BTreeSet<String> = loads(&lab(), Some("exercises/Cargo.toml"))
        .unwrap()
        .split("\"name\":\"")
        .skip(1)
        .filter_map(|s| s.split('"').next().map(str::to_string))
        .collect();
    // In the student edition the root's lock no longer has the solutions' packages (pruned
    // with them), so there only the packages both locks have must agree.
    let whole_root = lab().join("solutions").is_dir();
    let root_names: BTreeSet<&String> = root.iter().map(|(name, _)| name).collect();
    let differ: Vec<_> = exercises
        .iter()
        .filter(|(name, _)| !learners.contains(name))
        .filter(|(name, _)| whole_root || root_names.contains(name))
        .filter(|p| !root.contains(p))
        .collect();
    assert!(
        differ.is_empty(),
        "locked in exercises/Cargo.lock at versions the root's Cargo.lock does not have: {differ:?}"
    );
}

#[test]
fn the_editor_knows_both_workspaces() {
    // rust-analyzer loads the root's workspace by itself; without linkedProjects a
    // learner's crate would get no completion, no errors and no go-to-definition.
    let path = lab().join(".vscode/settings.json");
    let text: String = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let settings: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let linked = settings["rust-analyzer.linkedProjects"].as_array().cloned().unwrap_or_default();
    for manifest in ["Cargo.toml", "exercises/Cargo.toml"] {
        assert!(
            linked.iter().any(|l| l == manifest),
            "{} should link {manifest} for rust-analyzer: {linked:?}",
            path.display()
        );
    }
}
