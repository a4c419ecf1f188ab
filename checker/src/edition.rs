//! `student-edition`: writes the lab for learners, without the reference solutions, to a
//! new folder an instructor hands out (a GitHub Classroom template repository).
//!
//! The student edition keeps everything a learner needs: the exercises, the checker with
//! its snapshots (grading compares with the expected telemetry, never runs a solution), the
//! slides, the dev container and the Classroom workflow. It leaves out what only the lab's
//! maintainers use and what would give the answers away:
//! - `solutions/`, and the tests and tools built from them (the snapshot test, the
//!   wrong-solution variants, the OTLP collector test, the lab's own CI in `.ci/`);
//! - the workspace's members that no longer exist, so it builds, and its `Cargo.lock`
//!   pruned to match (the versions stay exactly as locked).
//!
//! Then it makes the folder a git repository with one commit: the starters as handed out,
//! which `reset` goes back to.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context, bail};

use crate::track::Track;

/// What the student edition leaves out, relative to the root: a folder (ending in `/`) or
/// a file.
pub const LEFT_OUT: &[&str] = &[
    "solutions/",
    "checker/variants/",
    "checker/tests/variants.rs",
    "checker/tests/variants.toml",
    "checker/tests/snapshots.rs",
    "checker/lab/tests/otlp_collector.rs",
    "checker/lab/tests/otlp_by_hand.sh",
    ".ci/",
];

/// Workspace members that the student edition does not have.
const MEMBERS_LEFT_OUT: &[&str] = &["\"solutions/*\"", "\"checker/variants\""];

const NOTICE: &str = "> **Student edition.** The reference solutions stay with your instructor: the
> checker's messages and `cargo run -p checker -- hint` are your guide. Commit and push
> your work as you go; each push is graded.
";

pub fn run(track: &Track, out: &Path) -> ExitCode {
    match write(&track.root, out) {
        Ok(files) => {
            println!("Wrote the student edition to {} ({files} files, one commit).", out.display());
            println!(
                "Next: push it to a new GitHub repository, mark it a template (Settings > Template repository), \
                 and make it the starter code of a GitHub Classroom assignment; README.md, \"For instructors\", has \
                 the steps."
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: the student edition was not written: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Writes the student edition of the lab at `root` into `out`, which must not exist yet or
/// be empty (nothing is ever overwritten). Returns how many files it wrote.
pub fn write(root: &Path, out: &Path) -> anyhow::Result<usize> {
    if !root.join("solutions").is_dir() {
        bail!("{} has no solutions/: it is already a student edition", root.display());
    }
    if out.exists() && std::fs::read_dir(out).map(|mut d| d.next().is_some()).unwrap_or(true) {
        bail!("{} already exists and is not empty; name a new folder", out.display());
    }
    let files: Vec<PathBuf> = lab_files(root)?.into_iter().filter(|f| !left_out(f)).collect();
    for file in &files {
        let to = out.join(file);
        std::fs::create_dir_all(to.parent().expect("a file has a parent"))?;
        std::fs::copy(root.join(file), &to).with_context(|| format!("cannot copy {}", file.display()))?;
    }
    let manifest = out.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).context("cannot read the workspace's Cargo.toml")?;
    std::fs::write(&manifest, without_members(&text)?)?;
    let readme = out.join("README.md");
    if let Ok(text) = std::fs::read_to_string(&readme) {
        std::fs::write(&readme, with_notice(&text))?;
    }
    prune_lockfile(out)?;
    commit(out)?;
    Ok(files.len())
}

fn left_out(file: &Path) -> bool {
    let path = file.to_string_lossy().replace('\\', "/");
    LEFT_OUT.iter().any(|l| if l.ends_with('/') { path.starts_with(l) } else { path == *l })
}

/// The lab's files, relative to `root`: what git tracks (and new files it does not
/// ignore), so that `target/`, `.lab/` and editor files stay out.
fn lab_files(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let output = Command::new("git")
        .current_dir(root)
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .stderr(Stdio::piped())
        .output()
        .context("cannot run git, which lists the lab's files")?;
    if !output.status.success() {
        bail!("`git ls-files` failed in {}: {}", root.display(), String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(output
        .stdout
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
        .filter(|p| root.join(p).is_file())
        .collect())
}

/// The workspace manifest without the members the student edition leaves out.
fn without_members(manifest: &str) -> anyhow::Result<String> {
    let mut text = manifest.to_string();
    for member in MEMBERS_LEFT_OUT {
        let before = text.clone();
        text = text.replace(&format!(", {member}"), "").replace(&format!("{member}, "), "");
        if text == before {
            bail!("the workspace's Cargo.toml has no member {member} to leave out");
        }
    }
    text.parse::<toml::Table>().context("the student edition's Cargo.toml does not parse")?;
    Ok(text)
}

fn with_notice(readme: &str) -> String {
    match readme.split_once('\n') {
        Some((title, rest)) if title.starts_with("# ") => format!("{title}\n\n{NOTICE}{rest}"),
        _ => format!("{NOTICE}\n{readme}"),
    }
}

/// Drops the solutions' packages from `Cargo.lock`, keeping every other locked version, so
/// that `--locked` builds work: cargo does it when it resolves the smaller workspace.
fn prune_lockfile(out: &Path) -> anyhow::Result<()> {
    let status = crate::cargo::cargo()
        .current_dir(out)
        .args(["metadata", "--format-version", "1"])
        .stdout(Stdio::null())
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("cargo cannot resolve the student edition's workspace (its message is above)");
    }
    Ok(())
}

/// One commit holding the edition as handed out.
fn commit(out: &Path) -> anyhow::Result<()> {
    // The instructor's own identity when git has one; otherwise one for this commit only.
    let has_identity = Command::new("git")
        .current_dir(out)
        .args(["config", "user.email"])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let identity: &[&str] =
        if has_identity { &[] } else { &["-c", "user.name=OpenTelemetry lab", "-c", "user.email=lab@localhost"] };
    let git = |args: &[&str]| -> anyhow::Result<()> {
        let output =
            Command::new("git").current_dir(out).args(identity).args(args).output().context("cannot run git")?;
        if !output.status.success() {
            bail!("`git {}` failed: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim());
        }
        Ok(())
    };
    git(&["init", "-q", "-b", "main"])?;
    git(&["add", "-A"])?;
    git(&["commit", "-q", "-m", "The OpenTelemetry lab, student edition"])
}
