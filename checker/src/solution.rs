//! `solution`: the reference solution of an exercise, shown as a diff against the learner's
//! version, but only once the exercise passes (as rustlings does): before that, working it
//! out is the exercise, and the next hint is the way forward.
//!
//! A learner may give up explicitly (`--give-up`). That is recorded in
//! `.lab/gave-up.txt`, the one file of `.lab/` that git keeps (see `.gitignore`), so an
//! instructor sees it in the learner's repository and in the JSON report.
//!
//! In the student edition (no `solutions/` folder, see [`crate::edition`]) the reference
//! solutions' sources are sealed ([`crate::seal`]); this reveals them on the same terms.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::grade::{self, Options};
use crate::report;
use crate::seal::Sealed;
use crate::state::{self, State};
use crate::track::{Exercise, Side, Track};

/// A reference solution's Rust sources, by path relative to its folder.
pub struct Reference {
    /// Where they come from, as the diff names them (`solutions/01-resource`).
    pub folder: PathBuf,
    pub files: BTreeMap<PathBuf, String>,
}

impl Reference {
    /// The solution's crate in the lab; its sealed copy in the student edition.
    pub fn of(track: &Track, exercise: &Exercise) -> anyhow::Result<Reference> {
        let folder = exercise.folder(Side::Solution);
        if track.has_solutions() {
            let mut files = BTreeMap::new();
            for file in source_files(&track.root.join(&folder))? {
                let text = std::fs::read_to_string(track.root.join(&folder).join(&file))?;
                files.insert(file, text);
            }
            return Ok(Reference { folder, files });
        }
        let sealed = match Sealed::open(&track.root) {
            Some(sealed) => sealed?,
            None => anyhow::bail!("this lab has neither solutions/ nor {}", crate::seal::SEAL_FILE),
        };
        let files = sealed.solutions.get(&exercise.dir).cloned().unwrap_or_default();
        if files.is_empty() {
            anyhow::bail!("{} holds no solution for {}", crate::seal::SEAL_FILE, exercise.dir);
        }
        Ok(Reference { folder, files: files.into_iter().map(|(path, text)| (PathBuf::from(path), text)).collect() })
    }
}

pub fn run(track: &Track, exercise: &Exercise, give_up: bool, options: Options) -> ExitCode {
    let reference = match Reference::of(track, exercise) {
        Ok(reference) => reference,
        Err(e) => {
            eprintln!("error: cannot read the reference solution of {}: {e:#}", exercise.title());
            return ExitCode::from(2);
        }
    };
    let passed = grade::grade(track, &[exercise], Side::Exercise, options).remove(0).passed();
    if !passed && !give_up {
        print!("{}", refusal(track, exercise));
        return ExitCode::FAILURE;
    }
    if !passed {
        // The record comes first: a solution seen before a pass is never left unrecorded.
        if let Err(e) = state::record_gave_up(&track.root, &exercise.id) {
            eprintln!(
                "error: the solution was not shown: cannot record that you gave up on {} in {} ({e}), so the \
                 solution stays hidden. Make {} writable and try again.",
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
    match diff(&track.root, exercise, &reference) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot read your version of {}: {e}", exercise.title());
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
pub fn diff(root: &Path, exercise: &Exercise, reference: &Reference) -> std::io::Result<String> {
    let yours = exercise.folder(Side::Exercise);
    let files: BTreeSet<PathBuf> = reference.files.keys().cloned().chain(source_files(&root.join(&yours))?).collect();
    let reference_folder = &reference.folder;
    let mut out = String::new();
    let _ = writeln!(out, "{}", report::bold(&format!("{}: the reference solution", exercise.title())));
    let _ = writeln!(
        out,
        "{}",
        report::dim(&format!("(`-` is your {}, `+` the reference {})", yours.display(), reference_folder.display()))
    );
    let mut same = Vec::new();
    for file in &files {
        let mine = std::fs::read_to_string(root.join(&yours).join(file)).unwrap_or_default();
        let theirs = reference.files.get(file).cloned().unwrap_or_default();
        if mine == theirs {
            same.push(file.display().to_string());
            continue;
        }
        let text = similar::TextDiff::from_lines(&mine, &theirs)
            .unified_diff()
            .context_radius(3)
            .header(&yours.join(file).display().to_string(), &reference_folder.join(file).display().to_string())
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

/// The exercise's Rust sources, relative to its folder: `src/` and, for an exercise graded
/// by its tests, `tests/` (the manifest differs only by the package's name, and the README
/// is the exercise's own).
fn source_files(folder: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut stack: Vec<PathBuf> = ["src", "tests"].iter().map(|d| folder.join(d)).filter(|d| d.is_dir()).collect();
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
