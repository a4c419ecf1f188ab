//! `reset`: puts an exercise back as it was handed out, after asking, and keeps a copy of
//! the learner's version in `.lab/backups/<id>/<unix time>/` first.
//!
//! The starter is what the lab handed out, never the learner's own history (a learner
//! on GitHub Classroom commits and pushes their work, so `origin/HEAD` is theirs): the
//! lab records the git tree of every starter folder in `starters.toml` beside the
//! snapshots ([`starters`], written by `checker starters`), and `reset` writes exactly
//! that tree's files, taken from git's object store. Files the learner added are kept
//! (and backed up); a deleted exercise folder is brought back.

use std::collections::BTreeMap;
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use serde::{Deserialize, Serialize};

use crate::track::{Exercise, Side, Track};

/// The file, in the snapshot folder, with the git tree of each starter.
pub const STARTERS: &str = "starters.toml";

#[derive(Debug, Default, Serialize, Deserialize)]
struct Starters {
    /// Exercise folder -> git tree id of its starter.
    starters: BTreeMap<String, String>,
}

/// The starters file's text as exercise folder -> git tree id of its starter.
pub fn starter_trees(text: &str) -> Result<BTreeMap<String, String>, toml::de::Error> {
    toml::from_str::<Starters>(text).map(|s| s.starters)
}

pub fn run(track: &Track, exercise: &Exercise, yes: bool) -> ExitCode {
    let folder = exercise.folder(Side::Exercise);
    let tree = match starter_tree(track, exercise) {
        Ok(tree) => tree,
        Err(why) => {
            eprintln!("error: cannot reset {}: {why}", exercise.title());
            return ExitCode::from(2);
        }
    };
    if !yes {
        if !std::io::stdin().is_terminal() && std::env::var_os("LAB_ASSUME_TTY").is_none() {
            eprintln!("Reset {} needs confirmation: run it in a terminal, or add --yes.", exercise.title());
            return ExitCode::from(2);
        }
        print!(
            "Reset {} to its starter (as the lab handed it out)? Your version is copied to .lab/backups/ first. [y/N] ",
            exercise.title()
        );
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if !matches!(answer.trim().to_lowercase().as_str(), "y" | "yes") {
            println!("Nothing changed.");
            return ExitCode::SUCCESS;
        }
    }
    let backup = if track.root.join(&folder).exists() {
        match back_up(&track.root, &folder, &exercise.id) {
            Ok(backup) => Some(backup),
            Err(e) => {
                eprintln!("error: cannot back your version up, so nothing was reset: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    let kept = match &backup {
        Some(backup) => format!("Your version is in {}.", backup.display()),
        None => "Its folder was missing, so there was nothing to back up.".to_string(),
    };
    match restore(&track.root, &tree, &folder) {
        Ok(()) => {
            println!("{} is back to its starter. {kept}", exercise.title());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: the reset stopped part-way ({e}). {kept}");
            ExitCode::FAILURE
        }
    }
}

/// The git tree of the exercise's starter, present in this clone.
fn starter_tree(track: &Track, exercise: &Exercise) -> Result<String, String> {
    let file = track.snapshot_dir().join(STARTERS);
    let shown = file.strip_prefix(&track.root).unwrap_or(&file).display().to_string();
    let text = std::fs::read_to_string(&file).map_err(|e| {
        format!("the lab's list of starters {shown} is unreadable ({e}); restore it with `git checkout -- {shown}`")
    })?;
    let starters: Starters = toml::from_str(&text).map_err(|e| format!("{shown} does not parse: {e}"))?;
    let tree = starters
        .starters
        .get(&exercise.dir)
        .ok_or_else(|| format!("{shown} has no starter for {} (maintainers: `checker starters`)", exercise.dir))?;
    let present = git(&track.root, &["cat-file", "-e", &format!("{tree}^{{tree}}")]).is_ok();
    if !present {
        return Err(format!(
            "its starter (git tree {tree}) is not in this clone's history. Is this a git clone of the lab, or of \
             your classroom repository?"
        ));
    }
    Ok(tree.clone())
}

/// Writes every file of `tree` into `root/folder`, replacing what is in the way.
fn restore(root: &Path, tree: &str, folder: &Path) -> Result<(), String> {
    let listing = git(root, &["ls-tree", "-r", "-z", tree])?;
    for entry in listing.split(|&b| b == 0).filter(|e| !e.is_empty()) {
        let entry = String::from_utf8_lossy(entry);
        // `<mode> <type> <id>\t<path>`
        let (meta, path) = entry.split_once('\t').ok_or_else(|| format!("unexpected git ls-tree line {entry:?}"))?;
        let fields: Vec<&str> = meta.split(' ').collect();
        let [mode, "blob", id] = fields[..] else { continue };
        let target = root.join(folder).join(path);
        let content = git(root, &["cat-file", "blob", id])?;
        make_room(root, folder, &target)?;
        #[cfg(unix)]
        if mode == "120000" {
            let to = String::from_utf8_lossy(&content).into_owned();
            std::os::unix::fs::symlink(&to, &target).map_err(|e| format!("{}: {e}", target.display()))?;
            continue;
        }
        // (Elsewhere a link is written as a file holding its target, as git does there.)
        std::fs::write(&target, &content).map_err(|e| format!("{}: {e}", target.display()))?;
        #[cfg(unix)]
        if mode == "100755" {
            use std::os::unix::fs::PermissionsExt as _;
            let _ = std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755));
        }
    }
    Ok(())
}

/// Clears the way for a starter file at `target`: each folder on the way is a real
/// folder (a file or a symbolic link in its place goes; it is in the backup), and nothing
/// but a plain file stands where the file goes.
fn make_room(root: &Path, folder: &Path, target: &Path) -> Result<(), String> {
    let base = root.join(folder);
    let relative = target.strip_prefix(&base).map_err(|_| format!("{} is outside the exercise", target.display()))?;
    let remove = |at: &Path| -> Result<(), String> {
        let Ok(meta) = std::fs::symlink_metadata(at) else { return Ok(()) };
        let removed = if meta.file_type().is_dir() { std::fs::remove_dir_all(at) } else { std::fs::remove_file(at) };
        removed.map_err(|e| format!("{}: {e}", at.display()))
    };
    let mut at = base;
    for part in relative.parent().into_iter().flat_map(Path::components) {
        if std::fs::symlink_metadata(&at).is_ok_and(|m| !m.file_type().is_dir()) {
            remove(&at)?;
        }
        at.push(part);
    }
    if std::fs::symlink_metadata(&at).is_ok_and(|m| !m.file_type().is_dir()) {
        remove(&at)?;
    }
    std::fs::create_dir_all(&at).map_err(|e| format!("{}: {e}", at.display()))?;
    if std::fs::symlink_metadata(target).is_ok_and(|m| !m.file_type().is_file()) {
        remove(target)?;
    }
    Ok(())
}

fn git(root: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let output = Command::new("git")
        .current_dir(root)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        Err(format!("git {} failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim()))
    }
}

/// For maintainers: `starters.toml` for the exercise folders as they are now (tracked or
/// not), so that `reset` restores them. Their trees are written into git's object store,
/// so commit the starters with it.
pub fn starters_file(track: &Track) -> Result<String, String> {
    // A throwaway index: the maintainer's own staging area is left alone.
    let index = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    let mut starters = Starters::default();
    for exercise in &track.exercises {
        let folder = exercise.folder(Side::Exercise).display().to_string();
        if !track.root.join(&folder).is_dir() {
            eprintln!("warning: {folder} is missing: no starter recorded for it");
            continue;
        }
        let with_index = |args: &[&str]| -> Result<Vec<u8>, String> {
            let output = Command::new("git")
                .current_dir(&track.root)
                .env("GIT_INDEX_FILE", index.path())
                .args(args)
                .stdin(Stdio::null())
                .output()
                .map_err(|e| format!("cannot run git: {e}"))?;
            if output.status.success() {
                Ok(output.stdout)
            } else {
                Err(format!("git {} failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim()))
            }
        };
        with_index(&["read-tree", "--empty"])?;
        with_index(&["add", "--", &folder])?;
        let tree = with_index(&["write-tree", &format!("--prefix={folder}/")])?;
        starters.starters.insert(exercise.dir.clone(), String::from_utf8_lossy(&tree).trim().to_string());
    }
    Ok(format!(
        "# Generated by `cargo run -p checker -- starters`: the git tree of each exercise as the lab hands it out.\n\
         # `reset` restores exactly these; regenerate after changing a starter.\n{}",
        toml::to_string(&starters).map_err(|e| e.to_string())?
    ))
}

/// Copies the exercise's folder (without build output) to a new backup folder.
fn back_up(root: &Path, folder: &Path, id: &str) -> std::io::Result<PathBuf> {
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis();
    let backup = root.join(".lab").join("backups").join(id).join(stamp.to_string());
    copy_tree(&root.join(folder), &backup)?;
    Ok(backup.strip_prefix(root).map(Path::to_path_buf).unwrap_or(backup))
}

/// Copies a folder; symbolic links are copied as links, never followed (one may point
/// at a folder above, or outside the lab).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_name() == "target" {
            continue;
        }
        let target = to.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_symlink() {
            copy_link(&entry.path(), &target)?;
        } else if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn copy_link(link: &Path, to: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(std::fs::read_link(link)?, to)
}

/// Elsewhere links need privileges to create: the copy is a file holding the target.
#[cfg(not(unix))]
fn copy_link(link: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::write(to, std::fs::read_link(link)?.to_string_lossy().as_bytes())
}
