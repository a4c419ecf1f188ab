//! `reset`: puts an exercise back as it was handed out, after asking, and keeps a copy of
//! the learner's version in `.lab/backups/<id>/<unix time>/` first.
//!
//! The starter comes from git: the upstream the repository was cloned from when there is
//! one (`origin/HEAD`, `origin/main`), otherwise the last commit. Files the learner added
//! are kept (and backed up); only files git knows are restored.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use crate::track::{Exercise, Side, Track};

pub fn run(track: &Track, exercise: &Exercise, yes: bool) -> ExitCode {
    let folder = exercise.folder(Side::Exercise);
    let Some(source) = starter_source(&track.root) else {
        eprintln!(
            "error: cannot reset {}: this folder is not a git checkout, so the starter is unknown.",
            exercise.title()
        );
        return ExitCode::from(2);
    };
    if !yes {
        if !std::io::stdin().is_terminal() && std::env::var_os("LAB_ASSUME_TTY").is_none() {
            eprintln!("Reset {} needs confirmation: run it in a terminal, or add --yes.", exercise.title());
            return ExitCode::from(2);
        }
        print!(
            "Reset {} to its starter (from {source})? Your version is copied to .lab/backups/ first. [y/N] ",
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
    let backup = match back_up(&track.root, &folder, &exercise.id) {
        Ok(backup) => backup,
        Err(e) => {
            eprintln!("error: cannot back your version up, so nothing was reset: {e}");
            return ExitCode::FAILURE;
        }
    };
    let restored = Command::new("git")
        .current_dir(&track.root)
        .args(["restore", "--worktree", "--source", &source, "--"])
        .arg(&folder)
        .status();
    match restored {
        Ok(status) if status.success() => {
            println!("{} is back to its starter. Your version is in {}.", exercise.title(), backup.display());
            ExitCode::SUCCESS
        }
        Ok(status) => {
            eprintln!(
                "error: git restore failed ({status}); your version is untouched and also in {}",
                backup.display()
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: cannot run git ({e}); your version is untouched and also in {}", backup.display());
            ExitCode::FAILURE
        }
    }
}

/// The git revision the starters come from.
fn starter_source(root: &Path) -> Option<String> {
    ["origin/HEAD", "origin/main", "HEAD"].into_iter().map(str::to_string).find(|rev| {
        Command::new("git")
            .current_dir(root)
            .args(["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// Copies the exercise's folder (without build output) to a new backup folder.
fn back_up(root: &Path, folder: &Path, id: &str) -> std::io::Result<PathBuf> {
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis();
    let backup = root.join(".lab").join("backups").join(id).join(stamp.to_string());
    copy_tree(&root.join(folder), &backup)?;
    Ok(backup.strip_prefix(root).map(Path::to_path_buf).unwrap_or(backup))
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_name() == "target" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
