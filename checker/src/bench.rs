//! `bench`: the figures behind "a fast loop", measured on this machine.
//!
//! 1. cargo's own incremental build of one exercise crate after an edit;
//! 2. the checker's time from the same kind of edit to a verdict (build, capture,
//!    compare), and its ratio to (1): the target is at most 1.3 and under 2 s;
//! 3. the whole track re-checked with nothing changed (a new checker process, cache
//!    warm): the target is under 3 s;
//! 4. the size of `target/` after grading every starter and solution: under 2 GB.
//!
//! The edits go to the exercise's *solution* (a maintainer's file, restored afterwards,
//! even on a panic), never to the learner's exercise.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use crate::cargo;
use crate::grade::{self, Options};
use crate::track::{Exercise, Side, Track};

/// Puts the edited file back when dropped.
struct Restore {
    path: PathBuf,
    original: Vec<u8>,
}

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = std::fs::write(&self.path, &self.original);
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn yes(ok: bool) -> &'static str {
    if ok { "yes" } else { "NO" }
}

pub fn run(track: &Track, exercise: &Exercise, runs: usize, options: Options) -> ExitCode {
    let runs = runs.max(1);
    let package = exercise.package(Side::Solution);
    let file = track.root.join(exercise.edit_file(Side::Solution));
    let Ok(original) = std::fs::read(&file) else {
        eprintln!("error: cannot read {}", file.display());
        return ExitCode::from(2);
    };
    let restore = Restore { path: file.clone(), original: original.clone() };
    let options = Options { use_cache: true, ..options };
    println!(
        "Benchmark: {} ({runs} runs, edits to {})",
        exercise.title(),
        exercise.edit_file(Side::Solution).display()
    );

    // A solution stands for a learner's exercise: built incrementally as that is.
    cargo::build_incrementally();
    // Warm up: dependencies built, a verdict in the cache.
    let _ = grade::grade(track, &[exercise], Side::Solution, options);
    let mut edit = 0;
    let mut touch = || {
        edit += 1;
        let mut text = original.clone();
        text.extend_from_slice(format!("\n// bench edit {edit}\n").as_bytes());
        std::fs::write(&file, text).expect("the solution file is writable");
    };

    let mut cargo_alone = Vec::new();
    let mut checker = Vec::new();
    for _ in 0..runs {
        touch();
        let start = Instant::now();
        let mut built = cargo::cargo();
        cargo::incremental(&mut built);
        let built = built
            .current_dir(&track.root)
            .args(["build", "-q", "-p", &package, "--manifest-path"])
            .arg(track.root.join(Side::Solution.workspace()))
            // An exercise graded by its tests: what the checker builds, its tests too.
            .args(if exercise.graded_by_tests() { &["--bins", "--tests"][..] } else { &[] })
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        cargo_alone.push(start.elapsed());
        if !built.is_ok_and(|s| s.success()) {
            eprintln!("error: `cargo build -p {package}` failed");
            return ExitCode::FAILURE;
        }
        touch();
        let start = Instant::now();
        let verdict = grade::grade(track, &[exercise], Side::Solution, options).remove(0);
        checker.push(start.elapsed());
        if !verdict.passed() {
            eprintln!("error: the solution did not pass during the benchmark: {}", verdict.message);
            return ExitCode::FAILURE;
        }
    }
    drop(restore);
    let (alone, loop_) = (median(cargo_alone.clone()), median(checker.clone()));
    let ratio = loop_.as_secs_f64() / alone.as_secs_f64().max(1e-6);
    let list = |v: &[Duration]| v.iter().map(|d| format!("{:.2}", d.as_secs_f64())).collect::<Vec<_>>().join(" ");
    println!("  cargo build of the crate alone   median {}   runs: {}", secs(alone), list(&cargo_alone));
    println!("  save -> verdict (checker)        median {}   runs: {}", secs(loop_), list(&checker));
    println!(
        "  ratio {ratio:.2} (target <= 1.30: {}), under 2 s: {}",
        yes(ratio <= 1.3),
        yes(loop_ < Duration::from_secs(2))
    );

    // The whole track, nothing changed: a learner re-running `cargo run -p checker`.
    let all: Vec<&Exercise> = track.exercises.iter().collect();
    let _ = grade::grade(track, &all, Side::Exercise, options);
    let mut rerun = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let status = Command::new(std::env::current_exe().expect("the checker knows its own path"))
            .env("LAB_ROOT", &track.root)
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        rerun.push(start.elapsed());
        if status.is_err() {
            eprintln!("error: cannot re-run the checker");
            return ExitCode::FAILURE;
        }
    }
    let rerun_median = median(rerun.clone());
    println!(
        "  whole track, nothing changed     median {}   runs: {}   under 3 s: {}",
        secs(rerun_median),
        list(&rerun),
        yes(rerun_median < Duration::from_secs(3))
    );

    // Every starter and solution built and graded, as `verify` does.
    let fresh = Options { use_cache: false, ..options };
    let _ = grade::grade(track, &all, Side::Exercise, fresh);
    let _ = grade::grade(track, &all, Side::Solution, fresh);
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| track.root.join("target"));
    let bytes = size(&target);
    println!(
        "  target/ after a full verify      {:.2} GB ({})   under 2 GB: {}",
        bytes as f64 / 1e9,
        target.display(),
        yes(bytes < 2_000_000_000)
    );
    ExitCode::SUCCESS
}

fn size(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else { return 0 };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path).map(|entries| entries.filter_map(|e| e.ok()).map(|e| size(&e.path())).sum()).unwrap_or(0)
}
