//! Building exercises with cargo: one `cargo build --keep-going` for every package asked
//! for, in the workspace they belong to ([`crate::track::Side::workspace`]), so a compile
//! error in one exercise never stops the others from being built.
//!
//! Nothing about one exercise may stop the others: a package cargo does not know (its
//! folder deleted, a wrong `dir` in the track) is reported on its own, and when the
//! workspace itself cannot load (an exercise's `Cargo.toml` broken), the others are built
//! through a stand-in workspace ([`crate::standin`]) that leaves the broken one out. A
//! build that does not finish within its limit (a `build.rs` that loops) is stopped with
//! every process it started.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde::Deserialize;
use wait_timeout::ChildExt as _;

use crate::groups::{self, Group};
use crate::standin;

/// The result of building one package.
#[derive(Debug, Clone)]
pub enum Build {
    Built {
        executable: PathBuf,
    },
    /// Compiler errors as rustc rendered them.
    Failed {
        errors: String,
    },
    /// cargo stopped before compiling it (its manifest, the workspace, the target
    /// folder), or the build ran out of time: not a compile error in the learner's code.
    NotBuilt {
        cargo_says: String,
    },
}

#[derive(Deserialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
#[allow(clippy::enum_variant_names)] // named after cargo's `reason` values
enum Message {
    CompilerArtifact {
        manifest_path: PathBuf,
        executable: Option<PathBuf>,
    },
    CompilerMessage {
        manifest_path: PathBuf,
        message: Diagnostic,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct Diagnostic {
    level: String,
    rendered: Option<String>,
}

/// Reads cargo's JSON messages as they come. When stderr is a terminal, it also shows how
/// far the build is on one line there (a first run compiles for minutes; a build with
/// nothing to compile shows nothing), and clears the line when cargo is done.
fn read_messages(pipe: std::process::ChildStdout) -> String {
    use std::io::{BufRead as _, IsTerminal as _, Write as _};
    #[derive(Deserialize)]
    struct Artifact {
        reason: String,
        #[serde(default)]
        fresh: bool,
        target: Option<Target>,
    }
    #[derive(Deserialize)]
    struct Target {
        name: String,
    }
    let show = std::io::stderr().is_terminal();
    let mut text = String::new();
    let mut compiled = 0;
    for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
        if show
            && line.contains("\"compiler-artifact\"")
            && let Ok(Artifact { reason, fresh: false, target: Some(target) }) = serde_json::from_str(&line)
            && reason == "compiler-artifact"
        {
            compiled += 1;
            // One short line (a wrapped line could not be redrawn in place).
            let name: String = target.name.chars().take(24).collect();
            let first_run = if compiled > 10 { " (a first run: minutes)" } else { "" };
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K  building: {compiled} crates compiled, last {name}{first_run}");
            let _ = err.flush();
        }
        text.push_str(&line);
        text.push('\n');
    }
    if compiled > 0 {
        eprint!("\r\x1b[2K");
    }
    text
}

/// The cargo that runs the checker (set by `cargo run`), or the one on PATH.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// The default of `--build-timeout`: a cold build of every exercise takes a few minutes
/// on 2 cores; a build script that loops must not hang the track forever.
pub const DEFAULT_BUILD_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// Builds `packages` (name, manifest path), members of the workspace whose manifest is
/// `workspace`, from the lab's `root`; the result is keyed by package name.
///
/// The usual case costs one cargo call. Only when cargo refuses before compiling
/// anything does the checker ask it why (`cargo metadata`), and build again without
/// what it refused.
pub fn build(root: &Path, workspace: &Path, packages: &[(String, PathBuf)], limit: Duration) -> HashMap<String, Build> {
    let mut results = HashMap::new();
    // A missing manifest (a folder deleted, a wrong `dir` in the track) is known without cargo.
    let (present, missing): (Vec<_>, Vec<_>) = packages.iter().cloned().partition(|(_, m)| m.is_file());
    for (name, manifest) in missing {
        results.insert(name.clone(), not_in_workspace(root, &name, &manifest));
    }
    if present.is_empty() {
        return results;
    }
    let first = build_members(root, workspace, &present, limit);
    if !first.refused {
        results.extend(first.builds);
        return results;
    }
    let (workspace, buildable) = match members(root, workspace) {
        Ok(members) => {
            let (known, unknown): (Vec<_>, Vec<_>) = present.into_iter().partition(|(n, _)| members.contains(n));
            for (name, manifest) in unknown {
                results.insert(name.clone(), not_in_workspace(root, &name, &manifest));
            }
            (workspace.to_path_buf(), known)
        }
        Err(cargo_says) => {
            // The workspace does not load: build through a stand-in that leaves out the
            // crates whose manifest is the problem, each reported with cargo's words.
            match standin::prepare(root, workspace, &present) {
                Ok(standin) => {
                    for (name, why) in &standin.broken {
                        results.insert(name.clone(), Build::NotBuilt { cargo_says: why.clone() });
                    }
                    let healthy = present.into_iter().filter(|(n, _)| !standin.broken.contains_key(n)).collect();
                    (standin.manifest, healthy)
                }
                Err(e) => {
                    let says = format!("{cargo_says}\n\n(and no stand-in workspace could be made: {e})");
                    results.extend(present.into_iter().map(|(n, _)| (n, Build::NotBuilt { cargo_says: says.clone() })));
                    return results;
                }
            }
        }
    };
    if !buildable.is_empty() {
        results.extend(build_members(root, &workspace, &buildable, limit).builds);
    }
    results
}

/// The names of the packages of the workspace whose manifest is `workspace`, or cargo's
/// complaint when it cannot load.
pub fn members(root: &Path, workspace: &Path) -> Result<Vec<String>, String> {
    #[derive(Deserialize)]
    struct Metadata {
        packages: Vec<Package>,
    }
    #[derive(Deserialize)]
    struct Package {
        name: String,
    }
    let mut cmd = cargo();
    cmd.current_dir(root).args(["metadata", "--no-deps", "--format-version", "1", "--color=never"]);
    cmd.arg("--manifest-path").arg(workspace);
    let output = cmd.stdin(Stdio::null()).output().map_err(|e| format!("could not run cargo: {e}"))?;
    if !output.status.success() {
        return Err(cargo_complaint(&String::from_utf8_lossy(&output.stderr)));
    }
    let metadata: Metadata = serde_json::from_slice(&output.stdout).map_err(|e| format!("cargo metadata: {e}"))?;
    Ok(metadata.packages.into_iter().map(|p| p.name).collect())
}

fn not_in_workspace(root: &Path, name: &str, manifest: &Path) -> Build {
    let shown = manifest.strip_prefix(root).unwrap_or(manifest);
    let why = if manifest.is_file() {
        format!("{} does not declare the package `{name}` the track expects (was `name` changed?)", shown.display())
    } else {
        format!(
            "{} is missing, so cargo has no package `{name}`: was the folder deleted or renamed? `git status` shows \
             it; `cargo run -p checker -- reset` brings an exercise back.",
            shown.display()
        )
    };
    Build::NotBuilt { cargo_says: why }
}

/// What one cargo call gave.
struct Attempt {
    builds: HashMap<String, Build>,
    /// cargo failed before compiling anything (a workspace that does not load, a package
    /// it does not know, a target folder it cannot use).
    refused: bool,
}

/// One `cargo build --keep-going` for `packages`, in the workspace (or the stand-in) whose
/// manifest is given, stopped (with everything it started) after `limit`.
fn build_members(root: &Path, workspace: &Path, packages: &[(String, PathBuf)], limit: Duration) -> Attempt {
    let mut cmd = cargo();
    cmd.current_dir(root)
        .args(["build", "--keep-going", "--message-format=json", "--color=never"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    groups::in_own_group(&mut cmd);
    cmd.arg("--manifest-path").arg(workspace);
    // Every workspace builds where the lab does (.cargo/config.toml says so too, but a
    // stand-in in target/ is outside its reach, and a lab without it must not build twice).
    if std::env::var_os("CARGO_TARGET_DIR").is_none() {
        cmd.env("CARGO_TARGET_DIR", root.join("target"));
    }
    for (name, _) in packages {
        cmd.args(["-p", name]);
    }
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            let says = format!("could not run cargo: {e}");
            let builds =
                packages.iter().map(|(n, _)| (n.clone(), Build::NotBuilt { cargo_says: says.clone() })).collect();
            return Attempt { builds, refused: false };
        }
    };
    let read = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut text);
            }
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = child.stdout.take().map(|pipe| std::thread::spawn(move || read_messages(pipe)));
    let stderr = read(child.stderr.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let group = Group::adopt(child.id());
    let finished = child.wait_timeout(limit).ok().flatten();
    // cargo, rustc and build scripts are one process group: end it all (nothing is left
    // when cargo finished).
    drop(group);
    let _ = child.kill();
    let _ = child.wait();
    let timed_out = finished.is_none();
    let stdout = stdout.and_then(|reader| reader.join().ok()).unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();

    let mut executables: HashMap<PathBuf, PathBuf> = HashMap::new();
    let mut errors: HashMap<PathBuf, Vec<String>> = HashMap::new();
    for line in stdout.lines() {
        match serde_json::from_str::<Message>(line) {
            Ok(Message::CompilerArtifact { manifest_path, executable: Some(exe) }) => {
                executables.insert(canonical(&manifest_path), exe);
            }
            Ok(Message::CompilerMessage { manifest_path, message }) if message.level == "error" => {
                if let Some(rendered) = message.rendered {
                    errors.entry(canonical(&manifest_path)).or_default().push(rendered);
                }
            }
            _ => {}
        }
    }
    let cargo_said = if timed_out {
        format!(
            "the build did not finish within {} s and was stopped. A build script (`build.rs`) that never ends is \
             the usual cause (raise the limit with --build-timeout).",
            limit.as_secs()
        )
    } else {
        cargo_complaint(&stderr)
    };
    // Errors in crates that were not asked for (the lab's own crates): every exercise that
    // depends on them fails to build, and the learner must see that it is not their code.
    let asked: Vec<PathBuf> = packages.iter().map(|(_, m)| canonical(m)).collect();
    let elsewhere: Vec<String> = errors
        .iter()
        .filter(|(manifest, _)| !asked.contains(manifest))
        .map(|(manifest, errs)| {
            let folder = manifest.parent().unwrap_or(manifest);
            let shown = folder.strip_prefix(canonical(root)).unwrap_or(folder);
            format!(
                "A crate this exercise depends on does not compile: {} (not your exercise; if you did not change it, \
                 restore it with `git checkout {}`).\n\n{}",
                shown.display(),
                shown.display(),
                summarise(errs)
            )
        })
        .collect();

    let refused = finished.is_some_and(|s| !s.success()) && executables.is_empty() && errors.is_empty();
    let builds = packages
        .iter()
        .map(|(name, manifest)| {
            let manifest = canonical(manifest);
            let build = match (errors.remove(&manifest), executables.remove(&manifest)) {
                (Some(errs), _) => Build::Failed { errors: summarise(&errs) },
                (None, Some(executable)) => Build::Built { executable },
                (None, None) if !elsewhere.is_empty() => Build::Failed { errors: elsewhere.join("\n\n") },
                (None, None) => Build::NotBuilt {
                    cargo_says: if cargo_said.is_empty() {
                        format!("cargo built no binary for `{name}`")
                    } else {
                        cargo_said.clone()
                    },
                },
            };
            (name.clone(), build)
        })
        .collect();
    Attempt { builds, refused }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The first errors in full, then a count: enough to act on, not a wall.
fn summarise(errors: &[String]) -> String {
    const SHOWN: usize = 2;
    let mut text: String = errors
        .iter()
        .filter(|e| !e.starts_with("error: aborting") && !e.starts_with("error: could not compile"))
        .take(SHOWN)
        .map(|e| e.trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n\n");
    let more = errors.len().saturating_sub(SHOWN);
    if more > 0 {
        text.push_str(&format!(
            "\n\n... and {more} more error(s); run `cargo build` in the exercise's folder to see them all."
        ));
    }
    text
}

/// cargo's own error lines (a broken manifest, an unknown package), without progress noise.
pub fn cargo_complaint(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("error"))
        .filter(|l| !l.trim_start().starts_with("Compiling") && !l.trim_start().starts_with("Blocking"))
        .take(15)
        .collect();
    lines.join("\n")
}
