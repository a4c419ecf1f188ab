//! `solution`: the reference solution of an exercise, shown as a diff against the learner's
//! version, but only once the exercise passes (as rustlings does): before that, working it
//! out is the exercise, and the next hint is the way forward.
//!
//! A learner may give up explicitly (`--give-up`). That is recorded in
//! `.lab/gave-up.txt`, the one file of `.lab/` that git keeps (see `.gitignore`), so an
//! instructor sees it in the learner's repository and in the JSON report.
//!
//! In the student edition (no `solutions/` folder, see [`crate::edition`]) the solutions
//! are the instructor's, and this says so.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::grade::{self, Options};
use crate::report;
use crate::state::{self, State};
use crate::track::{Exercise, Side, Track};

pub fn run(track: &Track, exercise: &Exercise, give_up: bool, options: Options) -> ExitCode {
    if !track.has_solutions() {
        println!(
            "{} This is the student edition of the lab: the reference solutions stay with your \
             instructor. The checker's messages and `cargo run -p checker -- hint {}` are your guide.",
            report::bold(&exercise.title()),
            exercise.number
        );
        return ExitCode::FAILURE;
    }
    let passed = grade::grade(track, &[exercise], Side::Exercise, options).remove(0).passed();
    if !passed && !give_up {
        print!("{}", refusal(track, exercise));
        return ExitCode::FAILURE;
    }
    if !passed {
        // The record comes first: a solution seen before a pass is never left unrecorded.
        if let Err(e) = state::record_gave_up(&track.root, &exercise.id) {
            eprintln!(
                "error: cannot record that you gave up on {} in {} ({e}), so the solution stays hidden. Make {} \
                 writable and try again.",
                exercise.title(),
                state::GAVE_UP_FILE,
                state::GAVE_UP_FILE
            );
            return ExitCode::from(2);
        }
        println!(
            "{}",
            report::dim(&format!(
                "Recorded in {}: you saw this solution before your exercise passed.",
                state::GAVE_UP_FILE
            ))
        );
    }
    match diff(&track.root, exercise) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot read the reference solution of {}: {e}", exercise.title());
            ExitCode::from(2)
        }
    }
}

/// Why the solution stays hidden, and what to do instead.
fn refusal(track: &Track, exercise: &Exercise) -> String {
    let n = exercise.number;
    let shown = State::load(&track.root).hints_shown.get(&exercise.id).copied().unwrap_or(0);
    let total = exercise.hints.len();
    let next = if shown < total {
        format!("`cargo run -p checker -- hint {n}` shows hint {} of {total}", shown + 1)
    } else {
        format!("you have seen all {total} hints; the last one has the code")
    };
    format!(
        "{} does not pass yet, so its reference solution stays hidden: working it out is the \
         exercise, and the checker's message above it is the guide.\n  Next: {next}.\n  {}\n",
        report::bold(&exercise.title()),
        report::dim(&format!(
            "To see it anyway: `cargo run -p checker -- solution {n} --give-up` (recorded in {}).",
            state::GAVE_UP_FILE
        ))
    )
}

/// The reference solution against the learner's version, file by file: a unified diff
/// where they differ (`-` yours, `+` the reference), whole files the learner does not have.
pub fn diff(root: &Path, exercise: &Exercise) -> std::io::Result<String> {
    let yours = exercise.folder(Side::Exercise);
    let reference = exercise.folder(Side::Solution);
    let files: BTreeSet<PathBuf> =
        source_files(&root.join(&reference))?.into_iter().chain(source_files(&root.join(&yours))?).collect();
    let mut out = String::new();
    let _ = writeln!(out, "{}", report::bold(&format!("{}: the reference solution", exercise.title())));
    let _ = writeln!(
        out,
        "{}",
        report::dim(&format!("(`-` is your {}, `+` the reference {})", yours.display(), reference.display()))
    );
    let mut same = Vec::new();
    for file in &files {
        let mine = std::fs::read_to_string(root.join(&yours).join(file)).unwrap_or_default();
        let theirs = std::fs::read_to_string(root.join(&reference).join(file)).unwrap_or_default();
        if mine == theirs {
            same.push(file.display().to_string());
            continue;
        }
        let text = similar::TextDiff::from_lines(&mine, &theirs)
            .unified_diff()
            .context_radius(3)
            .header(&yours.join(file).display().to_string(), &reference.join(file).display().to_string())
            .to_string();
        let _ = writeln!(out);
        for line in text.lines() {
            let colored = if line.starts_with('+') && !line.starts_with("+++") {
                report::green(line)
            } else if line.starts_with('-') && !line.starts_with("---") {
                report::red(line)
            } else {
                line.to_string()
            };
            let _ = writeln!(out, "{colored}");
        }
    }
    if !same.is_empty() {
        let _ = writeln!(out, "\n{}", report::dim(&format!("Identical: {}", same.join(", "))));
    }
    Ok(out)
}

/// The exercise's Rust sources, relative to its folder (the manifest differs only by the
/// package's name, and the README is the exercise's own).
fn source_files(folder: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let src = folder.join("src");
    if !src.is_dir() {
        return Ok(found);
    }
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path.strip_prefix(folder).expect("found under the folder").to_path_buf());
            }
        }
    }
    Ok(found)
}
