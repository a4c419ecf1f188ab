//! A stand-in workspace, for when the exercises' own cannot load: cargo refuses a whole
//! workspace when one member's `Cargo.toml` is broken (or its folder has none), which
//! would leave every exercise ungraded.
//!
//! The stand-in lives in `target/lab-standin/`: a copy of the workspace manifest's
//! `[workspace]` (shared package fields, dependencies with their paths made absolute,
//! profiles) whose members are only the crates that load, reached through one symbolic
//! link per crate, `target/lab-standin/exercises/03-first-span -> exercises/03-first-span`
//! (cargo finds a crate's workspace by looking up from the path it was given, so the
//! folders above the links are the stand-in's own, never the real `exercises/`, whose
//! `Cargo.toml` is the workspace that does not load), plus a copy of its `Cargo.lock`. It
//! builds into the same target folder with the same versions, so nothing is built twice.
//! Each crate left out is reported with cargo's own words about its manifest, or about a
//! dependency of it that does not resolve (each crate is tried alone, with a fresh copy
//! of the lock file, so that one crate's new dependency never moves another's versions).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::cargo;

pub struct Standin {
    /// The stand-in's `Cargo.toml`.
    pub manifest: PathBuf,
    /// Crates left out (by package name), with cargo's complaint about each.
    pub broken: HashMap<String, String>,
}

/// The stand-in for building `packages` (name, manifest path under `root`), members of
/// the workspace whose manifest is `workspace`.
pub fn prepare(root: &Path, workspace: &Path, packages: &[(String, PathBuf)]) -> Result<Standin, String> {
    let dir = root.join("target").join("lab-standin");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let manifest = dir.join("Cargo.toml");
    let template = template(workspace)?;
    let mut members = Vec::new();
    let mut broken = HashMap::new();
    for (name, package_manifest) in packages {
        let relative = package_manifest
            .parent()
            .and_then(|folder| folder.strip_prefix(root).ok())
            .ok_or_else(|| format!("{} is not inside the lab", package_manifest.display()))?
            .to_path_buf();
        link(root, &dir, &relative)?;
        if !package_manifest.is_file() {
            broken.insert(
                name.clone(),
                format!("{} is missing", package_manifest.strip_prefix(root).unwrap_or(package_manifest).display()),
            );
            continue;
        }
        // Each crate is tried alone, so that one broken manifest names itself.
        write(&manifest, &template, std::slice::from_ref(&relative))?;
        copy_lock(workspace, &dir)?;
        match cargo::resolves(root, &manifest, false) {
            Ok(()) => members.push(relative),
            Err(says) => {
                broken.insert(name.clone(), as_the_learner_sees_it(&says, root, &dir));
            }
        }
    }
    write(&manifest, &template, &members)?;
    copy_lock(workspace, &dir)?;
    Ok(Standin { manifest, broken })
}

/// The workspace's `Cargo.lock` as the stand-in's (the stand-in's copy is the one cargo
/// may prune; the lab's own is never written).
fn copy_lock(workspace: &Path, dir: &Path) -> Result<(), String> {
    let lock = workspace.with_file_name("Cargo.lock");
    if lock.is_file() {
        std::fs::copy(&lock, dir.join("Cargo.lock")).map_err(|e| format!("cannot copy Cargo.lock: {e}"))?;
    }
    Ok(())
}

/// The workspace manifest's `[workspace]` as the stand-in's, members aside.
fn template(path: &Path) -> Result<toml::Table, String> {
    let folder = path.parent().unwrap_or(Path::new("."));
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let manifest: toml::Table = text.parse().map_err(|e| format!("{} does not parse: {e}", path.display()))?;
    let mut workspace = manifest.get("workspace").and_then(|w| w.as_table()).cloned().unwrap_or_default();
    workspace.remove("exclude");
    workspace.remove("default-members");
    if let Some(toml::Value::Table(dependencies)) = workspace.get_mut("dependencies") {
        for (_, dependency) in dependencies.iter_mut() {
            if let Some(toml::Value::String(path)) = dependency.as_table_mut().and_then(|d| d.get_mut("path")) {
                *path = folder.join(path.as_str()).display().to_string();
            }
        }
    }
    let mut standin = toml::Table::new();
    standin.insert("workspace".into(), toml::Value::Table(workspace));
    if let Some(profile) = manifest.get("profile") {
        standin.insert("profile".into(), profile.clone());
    }
    Ok(standin)
}

fn write(manifest: &Path, template: &toml::Table, members: &[PathBuf]) -> Result<(), String> {
    let mut standin = template.clone();
    let members = members.iter().map(|m| toml::Value::String(m.display().to_string())).collect();
    if let Some(toml::Value::Table(workspace)) = standin.get_mut("workspace") {
        workspace.insert("members".into(), toml::Value::Array(members));
    }
    let text = format!(
        "# Made by the checker because the lab's workspace does not load: see checker/src/standin.rs.\n{}",
        toml::to_string(&standin).map_err(|e| e.to_string())?
    );
    std::fs::write(manifest, text).map_err(|e| format!("cannot write {}: {e}", manifest.display()))
}

/// `dir/<relative>` -> `root/<relative>` (`exercises/03-first-span`), in folders of the
/// stand-in's own.
#[cfg(unix)]
fn link(root: &Path, dir: &Path, relative: &Path) -> Result<(), String> {
    let at = dir.join(relative);
    let to = root.join(relative);
    if std::fs::read_link(&at).is_ok_and(|existing| existing == to) {
        return Ok(());
    }
    // A folder above the link must be a real one: a link there (an older stand-in linked
    // the whole `exercises/`) would put this link inside the lab itself.
    let mut above = dir.to_path_buf();
    for part in relative.parent().into_iter().flat_map(|p| p.components()) {
        above.push(part);
        if std::fs::symlink_metadata(&above).is_ok_and(|m| m.file_type().is_symlink()) {
            std::fs::remove_file(&above).map_err(|e| format!("cannot remove {}: {e}", above.display()))?;
        }
    }
    if let Some(parent) = at.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let _ = std::fs::remove_file(&at);
    std::os::unix::fs::symlink(&to, &at).map_err(|e| format!("cannot link {} to {}: {e}", at.display(), to.display()))
}

/// cargo's complaint about a crate tried alone in the stand-in, with the learner's paths
/// (`exercises/02-differs/Cargo.toml`) and without the lines about the stand-in itself.
fn as_the_learner_sees_it(says: &str, root: &Path, dir: &Path) -> String {
    let relative = dir.strip_prefix(root).unwrap_or(dir);
    says.replace(&format!("{}/", dir.display()), "")
        .replace(&format!("{}/", relative.display()), "")
        .lines()
        .take_while(|line| !line.starts_with("error: failed to load manifest for workspace member"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Elsewhere symbolic links need privileges: no stand-in, and cargo's message stands.
#[cfg(not(unix))]
fn link(_: &Path, _: &Path, _: &Path) -> Result<(), String> {
    Err("a stand-in workspace needs symbolic links, which this system does not offer".into())
}
