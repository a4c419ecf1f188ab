//! Reporting: verdicts as text for a learner, or as JSON for graders and CI.

use std::fmt::Write as _;
use std::path::PathBuf;

use owo_colors::{OwoColorize, Stream};
use serde::Serialize;

use crate::compare::{Difference, Signal};
use crate::kind::CauseKind;
use crate::track::{Exercise, Side};
use crate::verdict::{Status, Verdict};

// Colour only when stdout is a terminal and `NO_COLOR` is unset: owo-colors'
// `if_supports_color` (feature `supports-colors`) checks both.

pub fn green(text: &str) -> String {
    text.if_supports_color(Stream::Stdout, |t| t.green()).to_string()
}

pub fn red(text: &str) -> String {
    text.if_supports_color(Stream::Stdout, |t| t.red()).to_string()
}

pub fn bold(text: &str) -> String {
    text.if_supports_color(Stream::Stdout, |t| t.bold()).to_string()
}

pub fn dim(text: &str) -> String {
    text.if_supports_color(Stream::Stdout, |t| t.dimmed()).to_string()
}

pub fn mark(status: Status) -> String {
    match status {
        Status::Pass => green("✓"),
        _ => red("✗"),
    }
}

fn status_words(status: Status) -> &'static str {
    match status {
        Status::Pass => "done",
        Status::Fail => "not yet",
        Status::CompileError => "does not compile",
        Status::NotBuilt => "not built",
        Status::Panic => "panics",
        Status::Timeout => "times out",
    }
}

/// One line per exercise; `current` is marked.
pub fn track_lines(exercises: &[&Exercise], verdicts: &[Verdict], current: Option<usize>) -> String {
    let mut out = String::new();
    for (i, (e, v)) in exercises.iter().zip(verdicts).enumerate() {
        let here = if current == Some(i) { bold("  <- you are here") } else { String::new() };
        let _ =
            writeln!(out, "  {} {:>2}. {:<28} {}{here}", mark(v.status), e.number, e.name, dim(status_words(v.status)));
    }
    out
}

pub fn progress_bar(done: usize, total: usize) -> String {
    const WIDTH: usize = 28;
    let filled = (done * WIDTH).checked_div(total).unwrap_or(0);
    format!("Progress [{}{}] {done}/{total} done", green(&"#".repeat(filled)), "-".repeat(WIDTH - filled))
}

/// Everything a learner needs about one verdict: what happened, where to edit, what differs.
pub fn verdict_details(exercise: &Exercise, verdict: &Verdict, verbose: bool) -> String {
    let mut out = String::new();
    let title = format!("{} {}", exercise.title(), verdict.message);
    let _ = writeln!(out, "{} {}", mark(verdict.status), bold(&title));
    if verdict.passed() {
        // A pass with details (an exercise graded by its tests: which test caught which
        // broken version) shows them: they say what each test protects.
        for line in verdict.details.iter().flat_map(|d| d.lines()) {
            let _ = writeln!(out, "    {line}");
        }
        return out;
    }
    let _ = writeln!(out, "  Edit  {}", edit_file(exercise, verdict).display());
    let _ = writeln!(out, "  Read  {}", exercise.readme().display());
    let _ = writeln!(out);
    // One heading per signal, in the order the signals first differ.
    let mut signals: Vec<Signal> = Vec::new();
    for d in &verdict.differences {
        if !signals.contains(&d.signal) {
            signals.push(d.signal);
        }
    }
    for signal in signals {
        let _ = writeln!(out, "  {}", bold(signal.title()));
        for Difference { text, .. } in verdict.differences.iter().filter(|d| d.signal == signal) {
            let _ = writeln!(out, "    - {text}");
        }
    }
    if !verdict.likely_causes.is_empty() {
        let _ = writeln!(out, "  {}", bold("Likely cause"));
        for cause in &verdict.likely_causes {
            let _ = writeln!(out, "    - {}", cause.text);
        }
    }
    if let Some(details) = &verdict.details {
        for line in details.lines() {
            let _ = writeln!(out, "    {line}");
        }
    }
    if verbose && let Some(raw) = &verdict.raw_diff {
        let _ = writeln!(out, "\n  Raw diff of the telemetry document:");
        for line in raw.lines() {
            let colored = if line.starts_with('+') && !line.starts_with("+++") {
                red(line)
            } else if line.starts_with('-') && !line.starts_with("---") {
                green(line)
            } else {
                line.to_string()
            };
            let _ = writeln!(out, "    {colored}");
        }
    }
    let _ = writeln!(out);
    let _ = write!(
        out,
        "  {}",
        dim(&format!(
            "Stuck? `cargo run -p checker -- hint {n}` shows a hint{}.",
            // Only a comparison has a raw diff; a compile error or a panic has none.
            if verbose || verdict.raw_diff.is_none() {
                String::new()
            } else {
                format!("; `cargo run -p checker -- check {n} --verbose` adds the raw diff", n = exercise.number)
            },
            n = exercise.number
        ))
    );
    out.push('\n');
    out
}

/// The file to edit, relative to the root: the one a panic's location points at when it
/// is in the exercise's crate, the exercise's `Cargo.toml` when cargo could not build it
/// because of that manifest, else the exercise's usual file.
pub fn edit_file(exercise: &Exercise, verdict: &Verdict) -> PathBuf {
    let folder = exercise.folder(Side::Exercise);
    let details = verdict.details.as_deref().unwrap_or("");
    match verdict.status {
        Status::Panic => {
            if let Some(file) = panic_file(details, &exercise.dir) {
                return folder.join(file);
            }
        }
        Status::NotBuilt => {
            let manifest = format!("{}/Cargo.toml", exercise.dir);
            if details.contains(&manifest) || details.contains(&manifest.replace('/', "\\")) {
                return folder.join("Cargo.toml");
            }
        }
        _ => {}
    }
    exercise.edit_file(Side::Exercise)
}

/// The file, inside the exercise's folder `dir`, of a panic's `panicked at <file>:<line>:<column>:`
/// (rustc names it from the workspace's root, `<dir>/src/telemetry.rs`); `None` for a panic
/// in a dependency or the lab's crates.
fn panic_file(details: &str, dir: &str) -> Option<String> {
    let at = details.split("panicked at ").nth(1)?.lines().next()?;
    let file = at.trim_end_matches(':').rsplitn(3, ':').nth(2)?.replace('\\', "/");
    let inside = file.split_once(&format!("{dir}/")).map(|(_, inside)| inside)?;
    (inside.starts_with("src/") && !inside.contains("..")).then(|| inside.to_string())
}

/// A reference solution that did not run to the end (`show N --solution`): the lab's
/// problem, not the learner's, so no "edit your file" and no hint.
pub fn broken_solution(exercise: &Exercise, verdict: &Verdict) -> String {
    let mut out = String::new();
    let title = format!("{} reference solution {}", exercise.title(), verdict.message);
    let _ = writeln!(out, "{} {}", mark(verdict.status), bold(&title));
    let _ = writeln!(out, "  In    {}", exercise.edit_file(Side::Solution).display());
    if let Some(details) = &verdict.details {
        for line in details.lines() {
            let _ = writeln!(out, "    {line}");
        }
    }
    let _ = writeln!(
        out,
        "  {}",
        dim("This is the lab's reference solution, not your exercise: report it to whoever maintains the lab.")
    );
    out
}

/// The machine-readable report (`--format json`).
#[derive(Debug, Serialize)]
pub struct JsonReport {
    pub total: usize,
    pub passed: usize,
    pub exercises: Vec<JsonExercise>,
}

#[derive(Debug, Serialize)]
pub struct JsonExercise {
    pub id: String,
    pub number: usize,
    pub name: String,
    pub status: Status,
    pub message: String,
    pub edit: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<JsonDifference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub likely_causes: Vec<JsonCause>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// The learner saw the reference solution before the exercise passed
    /// (`solution --give-up`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub gave_up: bool,
    /// With `verify`: how the learner's starter and the solution were graded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starter: Option<JsonSide>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solution: Option<JsonSide>,
}

/// A difference as reports carry it: `kind` is `<signal>.<kind>` ([`crate::kind::Kind`]),
/// which stays the same when the wording of `text` changes.
#[derive(Debug, Serialize)]
pub struct JsonDifference {
    pub signal: Signal,
    pub kind: String,
    pub text: String,
}

impl From<&Difference> for JsonDifference {
    fn from(d: &Difference) -> Self {
        JsonDifference { signal: d.signal, kind: d.kind_id(), text: d.text.clone() }
    }
}

/// A likely cause as reports carry it ([`crate::kind::CauseKind`]).
#[derive(Debug, Serialize)]
pub struct JsonCause {
    pub kind: CauseKind,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct JsonSide {
    pub status: Status,
    pub message: String,
}

impl JsonExercise {
    pub fn new(exercise: &Exercise, verdict: &Verdict) -> Self {
        JsonExercise {
            id: exercise.id.clone(),
            number: exercise.number,
            name: exercise.name.clone(),
            status: verdict.status,
            message: verdict.message.trim_end_matches(':').to_string(),
            edit: edit_file(exercise, verdict).display().to_string(),
            differences: verdict.differences.iter().map(JsonDifference::from).collect(),
            likely_causes: verdict
                .likely_causes
                .iter()
                .map(|c| JsonCause { kind: c.kind, text: c.text.clone() })
                .collect(),
            details: verdict.details.clone(),
            gave_up: false,
            starter: None,
            solution: None,
        }
    }
}

impl JsonReport {
    pub fn new(exercises: Vec<JsonExercise>) -> Self {
        let passed = exercises.iter().filter(|e| e.status == Status::Pass).count();
        JsonReport { total: exercises.len(), passed, exercises }
    }

    pub fn print(&self) {
        println!("{}", serde_json::to_string_pretty(self).expect("the report serialises"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_gives_each_difference_and_cause_its_kind() {
        let track = crate::track::Track::from_text(
            "snapshots = \"s\"\nharness = []\n[[exercise]]\nid = \"resource\"\ndir = \"01-resource\"\nname = \"Resource\"\nedit = \"src/main.rs\"\n",
            std::path::Path::new("/lab"),
        )
        .unwrap();
        let mut verdict = Verdict::new(Status::Fail, "differs:");
        verdict.differences.push(Difference {
            signal: Signal::Metrics,
            kind: crate::kind::Kind::Unit,
            text: "metric `x` has unit `ms`; expected `s`".into(),
        });
        verdict.likely_causes.push(crate::kind::Cause::new(CauseKind::DeprecatedKey, "an old key"));
        let json = serde_json::to_value(JsonExercise::new(&track.exercises[0], &verdict)).unwrap();
        assert_eq!(
            json["differences"][0],
            serde_json::json!({"signal": "metrics", "kind": "metrics.unit", "text": "metric `x` has unit `ms`; expected `s`"})
        );
        assert_eq!(json["likely_causes"][0], serde_json::json!({"kind": "key.deprecated", "text": "an old key"}));
    }

    #[test]
    fn a_panic_names_the_file_of_the_exercise_it_happened_in() {
        let dir = "02-tracer-provider";
        let panic = "thread 'main' panicked at 02-tracer-provider/src/telemetry.rs:21:10:\nno resource";
        assert_eq!(panic_file(panic, dir).as_deref(), Some("src/telemetry.rs"));
        let absolute = "thread 'main' panicked at /home/me/lab/exercises/02-tracer-provider/src/app.rs:3:1:\nx";
        assert_eq!(panic_file(absolute, dir).as_deref(), Some("src/app.rs"));
        let dependency = "thread 'main' panicked at /home/me/.cargo/registry/src/x/tokio-1.0/src/runtime.rs:9:5:\nx";
        assert_eq!(panic_file(dependency, dir), None, "a dependency's file is not the learner's");
        let lab = "thread 'main' panicked at checker/lab/src/capture/mod.rs:9:5:\nx";
        assert_eq!(panic_file(lab, dir), None);
    }
}
