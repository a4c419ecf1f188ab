//! Plausible mistakes fail, with a message that points at them.
//!
//! Each variant in `variants.toml` is a solution with one change a learner could make.
//! It is built as the workspace crate `lab-variant` (`checker/variants`, which shares every
//! dependency already built), captured like any exercise, and graded against the exercise's
//! snapshot: it must fail, what the learner reads must contain every `expect` text, and
//! none of its `refute` texts (a cause the capture rules out).
//!
//! A catch that depends on scheduling is no catch: a variant with `runs = N` (default 1) is
//! built once, then captured and graded N times, each run in a process of its own, and
//! every run must fail with the very same learner-readable text; when two runs read
//! differently, the test fails and shows both. Variants whose catch could hinge on thread
//! timing (a task the handler does not wait for, a guard, a batch processor, a queue) carry
//! it: `LAB_VARIANTS=context-across-tasks` with load beside the test is how to try them.
//!
//! Exercise 20 is graded by the learner's tests: its variants change the solution's
//! `tests/telemetry.rs` (`file = "tests/telemetry.rs"`), built as `lab-variant`'s test
//! `telemetry` and run on the lab's reference service and each of its regressions.
//!
//! The other way round, each `[[alternative]]` is a solution written another correct way
//! (a `tracing` span instead of the SDK's, `in_span` instead of a builder): it must pass, so
//! that no fact the checker adds fails a learner for a choice the README leaves open.
//!
//! `LAB_VARIANTS` runs only some of them: a comma-separated list whose items each name an
//! exercise (`queue`, `17`, `17-queue`: that exercise's variants) or, failing that, a piece
//! of a variant's `mistake` text. A list that selects nothing fails, so a typo cannot pass.
//! `LAB_VARIANTS=queue,database cargo test -p checker --test variants -- --nocapture`

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use checker::capture;
use checker::grade;
use checker::tested;
use checker::track::{Side, Track};
use checker::verdict::Verdict;
use serde::Deserialize;

#[derive(Deserialize)]
struct Variants {
    variant: Vec<Variant>,
    #[serde(default)]
    alternative: Vec<Alternative>,
}

/// A correct solution written another way: it must pass.
#[derive(Deserialize)]
struct Alternative {
    exercise: String,
    way: String,
    file: String,
    replace: String,
    with: String,
    #[serde(default)]
    to_end: bool,
}

#[derive(Deserialize)]
struct Variant {
    exercise: String,
    mistake: String,
    file: String,
    replace: String,
    with: String,
    /// `replace` and everything after it, to the end of the file, make way for `with`.
    #[serde(default)]
    to_end: bool,
    expect: Vec<String>,
    #[serde(default)]
    refute: Vec<String>,
    /// How many times the variant is captured and graded (each must read the same).
    #[serde(default = "one_run")]
    runs: usize,
    /// An `[[alternative]]`: it must pass.
    #[serde(skip)]
    correct: bool,
}

fn one_run() -> usize {
    1
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Builds `lab-variant` from `src` and returns its executable, or the compiler's output.
/// With `tests` (an exercise graded by its tests), builds its test `telemetry` from that file
/// instead and returns the test's executable.
fn build(src: &Path, tests: Option<&Path>) -> Result<PathBuf, String> {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(root())
        .args(["build", "-p", "lab-variant", "--message-format=json", "--color=never"])
        .env("LAB_VARIANT_SRC", src)
        .stderr(Stdio::piped());
    if let Some(tests) = tests {
        cmd.args(["--test", "telemetry"]).env("LAB_VARIANT_TESTS", tests);
    }
    let output = cmd.output().map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let (name, kind) = if tests.is_some() { ("telemetry", "test") } else { ("lab-variant", "bin") };
    let executable = stdout.lines().filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()).find_map(|m| {
        (m["reason"] == "compiler-artifact" && m["target"]["name"] == name && m["target"]["kind"][0] == kind)
            .then(|| m["executable"].as_str().map(PathBuf::from))
            .flatten()
    });
    match (output.status.success(), executable) {
        (true, Some(exe)) => Ok(exe),
        _ => Err(String::from_utf8_lossy(&output.stderr).into_owned()),
    }
}

/// Everything the learner reads about a verdict.
fn learner_reads(verdict: &Verdict) -> String {
    let mut text = verdict.message.clone();
    for d in &verdict.differences {
        text.push('\n');
        text.push_str(&d.text);
    }
    for cause in &verdict.likely_causes {
        text.push('\n');
        text.push_str(&cause.text);
    }
    if let Some(details) = &verdict.details {
        text.push('\n');
        text.push_str(details);
    }
    text
}

/// Whether `LAB_VARIANTS` (absent: every variant) selects the variant.
fn selected(track: &Track, filter: Option<&str>, variant: &Variant) -> bool {
    let Some(filter) = filter else { return true };
    filter.split(',').map(str::trim).filter(|item| !item.is_empty()).any(|item| match track.find(item) {
        Some(exercise) => exercise.id == variant.exercise,
        None => variant.mistake.contains(item),
    })
}

#[test]
fn plausible_mistakes_fail_with_a_message_that_points_at_them() {
    let root = root();
    let track = Track::load(&root).unwrap();
    let variants: Variants =
        toml::from_str(&std::fs::read_to_string(root.join("checker/tests/variants.toml")).unwrap())
            .expect("variants.toml parses");
    let filter = std::env::var("LAB_VARIANTS").ok();
    let alternatives = variants.alternative.into_iter().map(|a| Variant {
        exercise: a.exercise,
        mistake: a.way,
        file: a.file,
        replace: a.replace,
        with: a.with,
        to_end: a.to_end,
        expect: vec![],
        refute: vec![],
        runs: 1,
        correct: true,
    });
    let all: Vec<Variant> = variants.variant.into_iter().chain(alternatives).collect();
    let chosen: Vec<&Variant> = all.iter().filter(|v| selected(&track, filter.as_deref(), v)).collect();
    assert!(!chosen.is_empty(), "LAB_VARIANTS={filter:?} selects no variant");
    let mut problems = Vec::new();
    // One variant builds while the one before it is captured and graded: the builds use
    // the cores, a capture mostly waits on its scenario. Each capture runs its own copy
    // (a hard link) of the binary, which the next build replaces.
    let graded = std::thread::scope(|scope| {
        let mut running = Vec::new();
        for v in chosen {
            let exercise =
                track.find(&v.exercise).unwrap_or_else(|| panic!("no exercise `{}` in the track", v.exercise));
            let label = format!("{} / {}", exercise.title(), v.mistake);
            let dir = tempfile::tempdir().unwrap();
            let src = root.join(exercise.folder(Side::Solution)).join("src");
            for entry in std::fs::read_dir(&src).unwrap() {
                let entry = entry.unwrap();
                std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
            }
            // Exercise 20's learner edits its tests: the variant is the solution's tests file.
            let tests = exercise.graded_by_tests().then(|| dir.path().join("telemetry.rs"));
            if let Some(tests) = &tests {
                let from = root.join(exercise.folder(Side::Solution)).join("tests/telemetry.rs");
                std::fs::copy(from, tests).unwrap();
            }
            let file = match &tests {
                Some(tests) => tests.clone(),
                None => dir.path().join(v.file.strip_prefix("src/").unwrap_or(&v.file)),
            };
            let original = std::fs::read_to_string(&file).unwrap_or_else(|_| panic!("{label}: no file {}", v.file));
            let found = original.matches(&v.replace).count();
            if found != 1 {
                problems
                    .push(format!("{label}: the text to replace occurs {found} times in {} (must be once)", v.file));
                continue;
            }
            let changed = match v.to_end {
                true => format!("{}{}", &original[..original.find(&v.replace).unwrap()], v.with),
                false => original.replacen(&v.replace, &v.with, 1),
            };
            std::fs::write(&file, changed).unwrap();

            let own = dir.path().join("lab-variant-binary");
            let built = build(dir.path(), tests.as_deref()).and_then(|exe| {
                std::fs::hard_link(&exe, &own)
                    .or_else(|_| std::fs::copy(&exe, &own).map(drop))
                    .map_err(|e| e.to_string())
            });
            let track = &track;
            running.push(scope.spawn(move || {
                let limits =
                    capture::Limits { timeout: Duration::from_secs(60), memory_mib: capture::DEFAULT_MEMORY_MIB };
                // One build, `runs` captures of it, one after the other.
                let verdicts: Vec<Verdict> = (0..v.runs.max(1))
                    .map(|_| {
                        let ran = built.clone().map(|()| match exercise.graded_by_tests() {
                            true => capture::Outcome::Tested(Box::new(tested::run(std::slice::from_ref(&own), limits))),
                            false => capture::run(&own, &exercise.scenario, limits),
                        });
                        grade::verdict_within(track, exercise, ran, limits.timeout)
                    })
                    .collect();
                drop(dir);
                (v, label, verdicts)
            }));
        }
        running.into_iter().map(|r| r.join().expect("a capture thread panicked")).collect::<Vec<_>>()
    });
    for (v, label, verdicts) in graded {
        let verdict = &verdicts[0];
        let reads = learner_reads(verdict);
        let runs = match verdicts.len() {
            1 => String::new(),
            n => format!(" ({n} runs)"),
        };
        println!("--- {label}{runs}: {}\n{reads}\n", verdict.status.word());
        if v.correct {
            if !verdict.passed() {
                problems.push(format!("{label}: this correct way fails the checker; the learner reads:\n{reads}"));
            }
            continue;
        }
        for (i, other) in verdicts.iter().enumerate() {
            if other.passed() {
                problems.push(format!("{label}: the mistake passes the checker (run {} of {})", i + 1, verdicts.len()));
            }
        }
        // Every run reads as the first: the catch does not hinge on scheduling. The first run
        // that reads otherwise is shown beside it, with how many did.
        let differ: Vec<(usize, String)> = verdicts
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, other)| (i, learner_reads(other)))
            .filter(|(_, theirs)| *theirs != reads)
            .collect();
        if let Some((i, theirs)) = differ.first() {
            problems.push(format!(
                "{label}: {} of {} runs read differently from run 1 ({}); run {} ({}):\n--- run 1:\n{reads}\n--- run {}:\n{theirs}",
                differ.len(),
                verdicts.len(),
                verdict.status.word(),
                i + 1,
                verdicts[*i].status.word(),
                i + 1,
            ));
        }
        for expected in &v.expect {
            if !reads.contains(expected.as_str()) {
                problems.push(format!("{label}: the learner never reads {expected:?}; they read:\n{reads}"));
            }
        }
        for ruled_out in &v.refute {
            if reads.contains(ruled_out.as_str()) {
                problems
                    .push(format!("{label}: the learner reads {ruled_out:?}, which is not so; they read:\n{reads}"));
            }
        }
    }
    assert!(problems.is_empty(), "{} problem(s):\n\n{}", problems.len(), problems.join("\n\n"));
}
