//! `run N`: an exercise served for real, outside the checker: built the way the checker
//! builds it, then started with the terminal and environment as they are, so its
//! telemetry goes wherever the `OTEL_*` variables send it (the dev container's Grafana,
//! or stdout).
//!
//! It replaces `cargo run -p ex03-first-span`: the exercises are a workspace of their own
//! (`exercises/Cargo.toml`), and through the checker one exercise still runs while another
//! one's `Cargo.toml` is broken.

use std::process::{Command, ExitCode};
use std::time::Duration;

use crate::cargo::{self, Build};
use crate::track::{Exercise, Side, Track};

pub fn run(track: &Track, exercise: &Exercise, side: Side, args: &[String], build_timeout: Duration) -> ExitCode {
    let package = exercise.package(side);
    let manifest = track.manifest(exercise, side);
    let workspace = track.root.join(side.workspace());
    // Not a private link: the process replaces the checker's, which could not remove it.
    let mut builds = cargo::build(&track.root, &workspace, &[(package.clone(), manifest)], false, build_timeout, false);
    let executable = match builds.remove(&package) {
        Some(Build::Built { executable, .. }) => executable,
        Some(Build::Failed { errors }) => {
            eprintln!(
                "{errors}\n\nerror: {package} does not compile; `cargo run -p checker -- check {}` explains more.",
                exercise.number
            );
            return ExitCode::FAILURE;
        }
        Some(Build::NotBuilt { cargo_says }) => {
            eprintln!("error: {package} could not be built: cargo failed before compiling it.\n\n{cargo_says}");
            return ExitCode::FAILURE;
        }
        None => {
            eprintln!("error: cargo did not report on {package}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("Running {package} ({}) for real; Ctrl-C stops it.", exercise.folder(side).display());
    let mut command = Command::new(&executable);
    command.args(args);
    start(command, &package)
}

/// The exercise takes the checker's place, so that Ctrl-C and the exit code are its own.
#[cfg(unix)]
fn start(mut command: Command, package: &str) -> ExitCode {
    use std::os::unix::process::CommandExt as _;
    let e = command.exec();
    eprintln!("error: cannot start {package}: {e}");
    ExitCode::FAILURE
}

#[cfg(not(unix))]
fn start(mut command: Command, package: &str) -> ExitCode {
    match command.status() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: cannot start {package}: {e}");
            ExitCode::FAILURE
        }
    }
}
