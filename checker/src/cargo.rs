//! Building exercises with cargo: one `cargo build --keep-going` for every package asked
//! for, so a compile error in one exercise never stops the others from being built.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

/// The result of building one package.
#[derive(Debug, Clone)]
pub enum Build {
    Built {
        executable: PathBuf,
    },
    /// Compiler errors as rustc rendered them, or cargo's own complaint.
    Failed {
        errors: String,
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

/// The cargo that runs the checker (set by `cargo run`), or the one on PATH.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Builds `packages` (name, manifest path) in `root`; the result is keyed by package name.
pub fn build(root: &Path, packages: &[(String, PathBuf)]) -> HashMap<String, Build> {
    let mut cmd = cargo();
    cmd.current_dir(root)
        .args(["build", "--keep-going", "--message-format=json", "--color=never"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, _) in packages {
        cmd.args(["-p", name]);
    }
    let output = match cmd.output() {
        Ok(output) => output,
        Err(e) => {
            let errors = format!("could not run cargo: {e}");
            return packages.iter().map(|(n, _)| (n.clone(), Build::Failed { errors: errors.clone() })).collect();
        }
    };

    let mut executables: HashMap<PathBuf, PathBuf> = HashMap::new();
    let mut errors: HashMap<PathBuf, Vec<String>> = HashMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
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
    let cargo_said = cargo_complaint(&String::from_utf8_lossy(&output.stderr));
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

    packages
        .iter()
        .map(|(name, manifest)| {
            let manifest = canonical(manifest);
            let build = match (errors.remove(&manifest), executables.remove(&manifest)) {
                (Some(errs), _) => Build::Failed { errors: summarise(&errs) },
                (None, Some(executable)) => Build::Built { executable },
                (None, None) => Build::Failed {
                    errors: if !elsewhere.is_empty() {
                        elsewhere.join("\n\n")
                    } else if cargo_said.is_empty() {
                        format!("cargo built no binary for `{name}`")
                    } else {
                        cargo_said.clone()
                    },
                },
            };
            (name.clone(), build)
        })
        .collect()
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
fn cargo_complaint(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("error"))
        .filter(|l| !l.trim_start().starts_with("Compiling") && !l.trim_start().starts_with("Blocking"))
        .take(15)
        .collect();
    lines.join("\n")
}
