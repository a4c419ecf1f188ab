//! Grading: build an exercise, capture its telemetry, compare it with its snapshot, and
//! turn what happened into a [`Verdict`].

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use telemetry_document::Document;

use crate::cache::Cache;
use crate::capture::{self, Outcome};
use crate::cargo::{self, Build};
use crate::compare::{self, Difference};
use crate::diagnose;
use crate::integrity;
use crate::snapshot;
use crate::track::{Exercise, Side, Track};
// Re-exported: tests/variants.rs names them through `grade`.
use crate::verdict::{Status, Verdict};

#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// How long one capture may run before it is killed.
    pub timeout: Duration,
    /// Reuse verdicts whose inputs did not change (see [`crate::cache`]).
    pub use_cache: bool,
    /// Address space one capture may use, in MiB ([`capture::DEFAULT_MEMORY_MIB`]).
    pub memory_mib: u64,
    /// How long one cargo build may take ([`cargo::DEFAULT_BUILD_TIMEOUT`]).
    pub build_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_secs(30),
            use_cache: true,
            memory_mib: capture::DEFAULT_MEMORY_MIB,
            build_timeout: cargo::DEFAULT_BUILD_TIMEOUT,
        }
    }
}

impl Options {
    fn limits(&self) -> capture::Limits {
        capture::Limits { timeout: self.timeout, memory_mib: self.memory_mib }
    }
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
    // The snapshot is read (and its fingerprint checked) before the exercise runs: what
    // the exercise's code does to the file afterwards cannot change its verdict.
    // An exercise graded by its tests has no telemetry to compare: no snapshot is read.
    let mut expected: Vec<Option<snapshot::Snapshot>> = Vec::new();
    let mut stale: Vec<&Exercise> = Vec::new();
    for (exercise, verdict) in exercises.iter().zip(verdicts.iter_mut()) {
        if verdict.is_some() {
            continue;
        }
        if exercise.graded_by_tests() {
            expected.push(None);
            stale.push(exercise);
            continue;
        }
        match expected_of(track, exercise) {
            Ok(snapshot) => {
                expected.push(Some(snapshot));
                stale.push(exercise);
            }
            Err(unusable) => *verdict = Some(*unusable),
        }
    }
    if !stale.is_empty() {
        let mut fresh =
            run_stamped(track, &stale, side, options).into_iter().zip(expected).map(|((ran, stamp), snapshot)| {
                let lasting = ran.as_ref().map_or(true, |outcome| !outcome.depends_on_the_machine());
                (judge_run(snapshot.as_ref(), ran, options.timeout), lasting, stamp)
            });
        for ((exercise, key), slot) in exercises.iter().zip(&keys).zip(verdicts.iter_mut()) {
            if slot.is_none() {
                let (verdict, lasting, stamp) = fresh.next().expect("one fresh verdict per stale exercise");
                cache.put(&exercise.package(side), key.as_deref().filter(|_| lasting), stamp, &verdict);
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
    run_stamped(track, exercises, side, options).into_iter().map(|(ran, _)| ran).collect()
}

/// [`run`], with the binary each verdict comes from (for the verdict cache).
fn run_stamped(
    track: &Track,
    exercises: &[&Exercise],
    side: Side,
    options: Options,
) -> Vec<(Ran, Option<cargo::Stamp>)> {
    let packages: Vec<(String, std::path::PathBuf)> =
        exercises.iter().map(|e| (e.package(side), track.manifest(e, side))).collect();
    let workspace = track.root.join(side.workspace());
    let with_tests = exercises.iter().any(|e| e.graded_by_tests());
    let builds = cargo::build(&track.root, &workspace, &packages, with_tests, options.build_timeout, true);

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
                        Some(Build::Built { tests, .. }) if exercise.graded_by_tests() => {
                            let mut tested = crate::tested::run(tests, options.limits());
                            // Panic messages name the test file as the learner finds it.
                            for suite in std::iter::once(&mut tested.reference)
                                .chain(tested.regressions.iter_mut().map(|(_, s)| s))
                            {
                                for test in &mut suite.tests {
                                    if let Some(m) = &mut test.message {
                                        *m = from_the_root(m, exercise, side);
                                    }
                                }
                            }
                            Ok(Outcome::Tested(Box::new(tested)))
                        }
                        Some(Build::Built { executable, .. }) => {
                            Ok(match capture::run(executable, &exercise.scenario, options.limits()) {
                                Outcome::Panicked { message } => {
                                    Outcome::Panicked { message: from_the_root(&message, exercise, side) }
                                }
                                outcome => outcome,
                            })
                        }
                        Some(Build::Failed { errors }) => Err(from_the_root(errors, exercise, side)),
                        Some(Build::NotBuilt { cargo_says }) => {
                            Ok(Outcome::NotBuilt { cargo_says: cargo_says.clone() })
                        }
                        None => Err(format!("cargo did not report on `{}`", exercise.package(side))),
                    };
                    results.lock().expect("no runner panics while holding the lock")[i] = Some(ran);
                }
            });
        }
    });
    let stamps = exercises.iter().map(|e| match builds.get(&e.package(side)) {
        Some(Build::Built { stamp, .. }) => stamp.clone(),
        _ => None,
    });
    let results = results.into_inner().expect("runners finished").into_iter();
    results.map(|r| r.expect("every exercise ran")).zip(stamps).collect()
}

/// Paths of the exercise's files in rustc's and panic messages as the learner finds them
/// from the lab's root (`exercises/03-first-span/src/app.rs`), however it was built: cargo
/// names them from the workspace's folder (`03-first-span/src/app.rs`), and the stand-in
/// workspace, whose links sit in an `exercises/` of its own, from the root already.
fn from_the_root(text: &str, exercise: &Exercise, side: Side) -> String {
    let from_workspace = format!("{}/", exercise.dir);
    let from_root = format!("{}/{}/", side.folder(), exercise.dir);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&from_workspace) {
        // Only where a path starts (not inside `exercises/03-first-span/` or a longer name).
        let starts_a_path = rest[..at].chars().next_back().is_none_or(|c| c.is_whitespace() || c == '`' || c == '\'');
        out.push_str(&rest[..at]);
        out.push_str(if starts_a_path { &from_root } else { &from_workspace });
        rest = &rest[at + from_workspace.len()..];
    }
    out.push_str(rest);
    out
}

/// The verdict of one crate's run against its exercise's snapshot (none for an exercise
/// graded by its tests).
pub fn verdict(track: &Track, exercise: &Exercise, ran: Ran) -> Verdict {
    verdict_within(track, exercise, ran, Options::default().timeout)
}

/// [`verdict`], for a run made with the time limit `timeout` (which a verdict may name).
pub fn verdict_within(track: &Track, exercise: &Exercise, ran: Ran, timeout: Duration) -> Verdict {
    if exercise.graded_by_tests() {
        return judge_run(None, ran, timeout);
    }
    match expected_of(track, exercise) {
        Ok(expected) => judge_run(Some(&expected), ran, timeout),
        Err(unusable) => *unusable,
    }
}

/// The exercise's snapshot, tamper-checked; or the verdict that says why there is none.
fn expected_of(track: &Track, exercise: &Exercise) -> Result<snapshot::Snapshot, Box<Verdict>> {
    let path = track.snapshot_path(exercise);
    let shown = path.strip_prefix(&track.root).unwrap_or(&path).display().to_string();
    let expected =
        snapshot::read(&path).map_err(|why| {
            Box::new(Verdict::new(
            Status::Fail,
            format!(
                "was not graded: its snapshot {shown} is missing or unreadable. This is not your code: restore the \
                 file with `git checkout -- {shown}` (maintainers make snapshots with \
                 `cargo insta test -p checker --test snapshots`)."
            ),
        )
        .with_details(why))
        })?;
    integrity::check_snapshot(&expected.header, &expected.yaml).map_err(|why| {
        Box::new(Verdict::new(
            Status::Fail,
            format!("was not graded: {why}. Restore it with `git checkout -- {shown}`."),
        ))
    })?;
    Ok(expected)
}

/// What a run that did not hand over telemetry tells the learner, or the document it did.
pub fn outcome(ran: Ran) -> Result<Document, Box<Verdict>> {
    let outcome = match ran {
        Err(errors) => {
            return Err(Box::new(
                Verdict::new(Status::CompileError, "does not compile; the compiler says:").with_details(errors),
            ));
        }
        Ok(outcome) => outcome,
    };
    Err(Box::new(match outcome {
        Outcome::Captured(document) => return Ok(*document),
        Outcome::NotBuilt { cargo_says } => Verdict::new(
            Status::NotBuilt,
            "could not be built: cargo failed before compiling it (this is not a compile error in your code); \
             cargo says:",
        )
        .with_details(cargo_says),
        Outcome::Panicked { message } => {
            let mut verdict = Verdict::new(Status::Panic, "panicked while the checker drove the service:");
            verdict.likely_causes = crate::diagnose::panic_causes(&message);
            verdict.with_details(message)
        }
        Outcome::TimedOut { after } => Verdict::new(
            Status::Timeout,
            format!(
                "did not finish within {} s and was stopped. Look for an endless loop, a lock held across an \
                 `.await`, or a blocking call inside async code (raise the limit with --timeout).",
                after.as_secs()
            ),
        ),
        Outcome::OutOfMemory { limit_mib } => Verdict::new(
            Status::Fail,
            format!(
                "ran out of memory: it needed more than the {limit_mib} MiB a capture may use, and was stopped. \
                 Look for a collection that grows without end (raise the limit with --memory)."
            ),
        ),
        Outcome::UnknownScenario { scenario } => Verdict::new(
            Status::Fail,
            format!(
                "was not graded: the lab's harness has no scenario `{scenario}`. This is not your code: the \
                 exercise's `scenario` in exercises/track.toml names one the harness (checker/lab) does not know."
            ),
        ),
        Outcome::Exited { code, signal, stderr } => {
            let how = match (code, signal) {
                (Some(c), _) => format!("exited (code {c})"),
                (None, Some(s)) => format!("was {}", capture::signal_words(s)),
                (None, None) => "did not start".to_string(),
            };
            Verdict::new(
                Status::Fail,
                format!(
                    "{how} before handing over its telemetry. Does it call `std::process::exit` or \
                     `std::process::abort`, or end the process some other way?"
                ),
            )
            .with_details(stderr)
        }
        Outcome::Unreadable { why } => Verdict::new(
            Status::Fail,
            "handed over something that is not a telemetry document: was the lab's harness (checker/lab) changed?",
        )
        .with_details(why),
        Outcome::Tested(tested) => crate::tested::verdict(&tested, Options::default().timeout),
        Outcome::TooMuch { bytes } => Verdict::new(
            Status::Fail,
            format!(
                "emits far more telemetry than expected ({:.1} MB of it; every solution's is under 10 KB), so \
                 it was not compared. Look for spans, events, log records or metric attributes created in a loop.",
                bytes as f64 / 1e6
            ),
        ),
    }))
}

/// The verdict of a run against the snapshot read before it; with none, the run must be
/// of the exercise's tests.
fn judge_run(expected: Option<&snapshot::Snapshot>, ran: Ran, timeout: Duration) -> Verdict {
    if let Ok(Outcome::Tested(tested)) = &ran {
        return crate::tested::verdict(tested, timeout);
    }
    match (outcome(ran), expected) {
        (Ok(document), Some(expected)) => judge(expected, document.clone()).with_document(document),
        (Ok(_), None) => Verdict::new(
            Status::Fail,
            "was not graded: the track grades this exercise by its tests (`scenario = \"tests\"`), but its \
             telemetry was captured instead. This is not your code.",
        ),
        (Err(verdict), _) => *verdict,
    }
}

/// The most differences a verdict lists (and the cache keeps): beyond that, more lines
/// teach nothing.
const DIFFERENCES: usize = 40;
/// The longest a difference's text, or a line of the raw diff, is shown: room for any
/// explanation the comparison gives, not for a megabyte-long attribute value.
const LINE_CHARS: usize = 1000;
/// The most lines of the raw diff kept.
const RAW_DIFF_LINES: usize = 400;

fn bounded(mut differences: Vec<Difference>) -> Vec<Difference> {
    let more = differences.len().saturating_sub(DIFFERENCES);
    differences.truncate(DIFFERENCES);
    for d in &mut differences {
        d.text = cut(&d.text);
    }
    if more > 0
        && let Some(last) = differences.last()
    {
        let signal = last.signal;
        differences.push(Difference {
            signal,
            kind: crate::kind::Kind::More,
            text: format!("... and {more} more: it emits far more than expected; fix the first ones, then re-check"),
        });
    }
    differences
}

fn bounded_text(text: &str, lines: usize) -> String {
    let mut out: Vec<String> = text.lines().take(lines).map(cut).collect();
    let more = text.lines().count().saturating_sub(lines);
    if more > 0 {
        out.push(format!("... {more} more lines"));
    }
    out.join("\n") + "\n"
}

fn cut(line: &str) -> String {
    match line.char_indices().nth(LINE_CHARS) {
        Some((at, _)) => format!("{}... ({} more bytes)", &line[..at], line.len() - at),
        None => line.to_string(),
    }
}

/// Compares a capture with the snapshot.
fn judge(expected: &snapshot::Snapshot, captured: Document) -> Verdict {
    let actual = captured.clone().for_snapshot();
    if actual == expected.document {
        return Verdict::new(Status::Pass, "emits exactly the expected telemetry");
    }
    // The comparison sees what the harness saw of the pipeline too (which causes the capture
    // rules out); it is never part of equality.
    let compared = Document { capture_facts: captured.capture_facts.clone(), ..actual.clone() };
    let all = compare::differences(&expected.document, &compared);
    if all.is_empty() {
        // Only facts the solution does not need hold here too (a span made current where
        // the solution's was not needed to be): nothing to fix.
        return Verdict::new(Status::Pass, "emits the expected telemetry (and some facts the solution does not need)");
    }
    let n = all.len();
    let differences = bounded(all);
    // Diagnosis sees what snapshots leave out (log targets).
    let likely_causes = diagnose::likely_causes(&expected.document, &captured);
    let (want, got) = (format!("{}\n", expected.yaml.trim_end()), format!("{}\n", actual.to_yaml().trim_end()));
    let raw = similar::TextDiff::from_lines(&want, &got)
        .unified_diff()
        .context_radius(3)
        .header("expected (snapshot)", "emitted (your code)")
        .to_string();
    let raw = bounded_text(&raw, RAW_DIFF_LINES);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::Signal;

    #[test]
    fn paths_are_named_from_the_root_however_the_exercise_was_built() {
        let exercise: Exercise =
            toml::from_str("id = \"x\"\ndir = \"03-broken\"\nname = \"x\"\nedit = \"src/main.rs\"").unwrap();
        let said = " --> 03-broken/src/main.rs:5:25\npanicked at 03-broken/src/main.rs:7:9:\n";
        let want = " --> exercises/03-broken/src/main.rs:5:25\npanicked at exercises/03-broken/src/main.rs:7:9:\n";
        assert_eq!(from_the_root(said, &exercise, Side::Exercise), want);
        assert_eq!(from_the_root(want, &exercise, Side::Exercise), want, "already from the root");
        assert_eq!(from_the_root("x103-broken/y", &exercise, Side::Exercise), "x103-broken/y");
    }

    #[test]
    fn a_flood_of_differences_is_bounded_and_says_how_many_more() {
        let many: Vec<Difference> = (0..100)
            .map(|i| Difference {
                signal: Signal::Traces,
                kind: crate::kind::Kind::SpanMissing,
                text: format!("span {i} {}", "x".repeat(i * 30)),
            })
            .collect();
        let kept = bounded(many);
        assert_eq!(kept.len(), DIFFERENCES + 1);
        assert!(kept.last().unwrap().text.starts_with("... and 60 more"), "{}", kept.last().unwrap().text);
        assert!(kept.iter().all(|d| d.text.chars().count() < LINE_CHARS + 40), "long lines are cut");
        assert!(kept[39].text.ends_with("more bytes)"), "{}", kept[39].text);
        let raw: String = (0..1000).map(|i| format!("+line {i}\n")).collect();
        assert!(bounded_text(&raw, RAW_DIFF_LINES).ends_with("... 600 more lines\n"));
    }
}
