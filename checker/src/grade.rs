//! Grading: build an exercise, capture its telemetry, compare it with its snapshot, and
//! turn what happened into a [`Verdict`].

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use telemetry_document::Document;

use crate::cache::Cache;
use crate::capture::{self, Outcome};
use crate::cargo::{self, Build};
use crate::compare;
use crate::diagnose;
use crate::integrity;
use crate::snapshot;
use crate::track::{Exercise, Side, Track};
// Re-exported: tests/variants.rs names them through `grade`.
pub use crate::verdict::{Status, Verdict};

#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// How long one capture may run before it is killed.
    pub timeout: Duration,
    /// Reuse verdicts whose inputs did not change (see [`crate::cache`]).
    pub use_cache: bool,
}

/// Grades `exercises` (one side of each). Verdicts come back in the order asked.
///
/// With the cache on, only exercises whose inputs changed are built and run: when
/// nothing changed, no cargo process starts at all.
pub fn grade(track: &Track, exercises: &[&Exercise], side: Side, options: Options) -> Vec<Verdict> {
    let harness = match integrity::check_harness(track) {
        Ok(fingerprint) => fingerprint,
        Err(why) => {
            return exercises.iter().map(|_| Verdict::new(Status::Fail, format!("was not graded: {why}"))).collect();
        }
    };
    let mut cache = if options.use_cache { Cache::load(track, harness.as_deref()) } else { Cache::disabled() };
    let keys: Vec<Option<String>> = exercises.iter().map(|e| cache.key(track, e, side)).collect();
    let mut verdicts: Vec<Option<Verdict>> =
        exercises.iter().zip(&keys).map(|(e, key)| cache.get(&e.package(side), key.as_deref())).collect();
    let stale: Vec<&Exercise> = exercises.iter().zip(&verdicts).filter(|(_, v)| v.is_none()).map(|(e, _)| *e).collect();
    if !stale.is_empty() {
        let mut fresh =
            run(track, &stale, side, options).into_iter().zip(&stale).map(|(ran, e)| verdict(track, e, ran));
        for ((exercise, key), slot) in exercises.iter().zip(&keys).zip(verdicts.iter_mut()) {
            if slot.is_none() {
                let verdict = fresh.next().expect("one fresh verdict per stale exercise");
                cache.put(&exercise.package(side), key.as_deref(), &verdict);
                *slot = Some(verdict);
            }
        }
        cache.save();
    }
    verdicts.into_iter().map(|v| v.expect("every exercise has a verdict")).collect()
}

/// What running one crate gave: it did not build, or the capture's outcome.
pub type Ran = Result<Outcome, String>;

/// Builds `exercises` (one cargo call for all), then runs their captures in parallel.
pub fn run(track: &Track, exercises: &[&Exercise], side: Side, options: Options) -> Vec<Ran> {
    let packages: Vec<(String, std::path::PathBuf)> =
        exercises.iter().map(|e| (e.package(side), track.root.join(e.folder(side)).join("Cargo.toml"))).collect();
    let builds = cargo::build(&track.root, &packages);

    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Ran>>> = Mutex::new(vec![None; exercises.len()]);
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).min(exercises.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(exercise) = exercises.get(i) else {
                        break;
                    };
                    let ran = match builds.get(&exercise.package(side)) {
                        Some(Build::Built { executable }) => {
                            Ok(capture::run(executable, &exercise.scenario, options.timeout))
                        }
                        Some(Build::Failed { errors }) => Err(errors.clone()),
                        None => Err(format!("cargo did not report on `{}`", exercise.package(side))),
                    };
                    results.lock().expect("no runner panics while holding the lock")[i] = Some(ran);
                }
            });
        }
    });
    results.into_inner().expect("runners finished").into_iter().map(|r| r.expect("every exercise ran")).collect()
}

/// The verdict of one crate's run against its exercise's snapshot.
pub fn verdict(track: &Track, exercise: &Exercise, ran: Ran) -> Verdict {
    let outcome = match ran {
        Err(errors) => {
            return Verdict::new(Status::CompileError, "does not compile; the compiler says:").with_details(errors);
        }
        Ok(outcome) => outcome,
    };
    let expected = match snapshot::read(&track.snapshot_path(exercise)) {
        Ok(s) => s,
        Err(why) => {
            return Verdict::new(
                Status::Fail,
                "has no usable snapshot to compare with. This is a problem of the lab, not of your code: \
                 maintainers create snapshots with `cargo insta test -p checker --test snapshots`.",
            )
            .with_details(why);
        }
    };
    if let Err(why) = integrity::check_snapshot(&expected.header, &expected.yaml) {
        return Verdict::new(
            Status::Fail,
            format!("was not graded: {why}. Restore it with `git checkout checker/snapshots`."),
        );
    }
    match outcome {
        Outcome::Captured(document) => judge(&expected, document.clone()).with_document(document),
        Outcome::Panicked { message } => {
            Verdict::new(Status::Panic, "panicked while the checker drove the service:").with_details(message)
        }
        Outcome::TimedOut { after } => Verdict::new(
            Status::Timeout,
            format!(
                "did not finish within {} s and was stopped. Look for an endless loop, a lock held across an \
                 `.await`, or a blocking call inside async code (raise the limit with --timeout).",
                after.as_secs()
            ),
        ),
        Outcome::Exited { code, stderr } => Verdict::new(
            Status::Fail,
            format!(
                "exited ({}) before handing over its telemetry. Does it call `std::process::exit`, or abort?",
                code.map(|c| format!("code {c}")).unwrap_or_else(|| "killed by a signal".into())
            ),
        )
        .with_details(stderr),
        Outcome::Unreadable { why } => Verdict::new(
            Status::Fail,
            "handed over something that is not a telemetry document: was the lab's harness (checker/lab) changed?",
        )
        .with_details(why),
    }
}

/// Compares a capture with the snapshot.
fn judge(expected: &snapshot::Snapshot, captured: Document) -> Verdict {
    let actual = captured.clone().for_snapshot();
    if actual == expected.document {
        return Verdict::new(Status::Pass, "emits exactly the expected telemetry");
    }
    let differences = compare::differences(&expected.document, &actual);
    // Diagnosis sees what snapshots leave out (log targets).
    let likely_causes = diagnose::likely_causes(&expected.document, &captured);
    let (want, got) = (format!("{}\n", expected.yaml.trim_end()), format!("{}\n", actual.to_yaml().trim_end()));
    let raw = similar::TextDiff::from_lines(&want, &got)
        .unified_diff()
        .context_radius(3)
        .header("expected (snapshot)", "emitted (your code)")
        .to_string();
    let n = differences.len();
    Verdict {
        differences,
        likely_causes,
        raw_diff: Some(raw),
        ..Verdict::new(
            Status::Fail,
            format!("runs, but its telemetry differs from the expected in {n} place{}:", if n == 1 { "" } else { "s" }),
        )
    }
}
