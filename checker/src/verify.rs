//! `verify`, for maintainers and CI: every starter exercise fails (with something a
//! learner can act on) and every solution passes against the committed snapshots.

use std::process::ExitCode;

use crate::format::Format;
use crate::grade::{self, Options};
use crate::report::{self, JsonExercise, JsonReport, JsonSide};
use crate::track::{Exercise, Side, Track};
use crate::verdict::{Status, Verdict};

/// Why an exercise is not verified, or `None` when it is.
fn problem(starter: &Verdict, solution: &Verdict) -> Option<String> {
    if !solution.passed() {
        return Some(format!("the solution does not pass: {} {}", solution.status.word(), solution.message));
    }
    match starter.status {
        Status::Pass => Some("the starter already passes: it teaches nothing".into()),
        Status::Fail if starter.differences.is_empty() && starter.details.is_none() => {
            Some("the starter fails without saying what is missing".into())
        }
        Status::Fail => None,
        other => {
            Some(format!("the starter must compile and run, and fail on its telemetry; it ends in {}", other.word()))
        }
    }
}

pub fn run(track: &Track, exercises: &[&Exercise], options: Options, format: Format) -> ExitCode {
    let starters = grade::grade(track, exercises, Side::Exercise, options);
    let solutions = grade::grade(track, exercises, Side::Solution, options);

    let mut verified = 0;
    let mut report = Vec::new();
    for ((exercise, starter), solution) in exercises.iter().zip(&starters).zip(&solutions) {
        let problem = problem(starter, solution);
        if problem.is_none() {
            verified += 1;
        }
        match format {
            Format::Text => {
                let line = format!(
                    "{:>2}. {:<28} starter: {:<13} solution: {}",
                    exercise.number,
                    exercise.name,
                    starter.status.word(),
                    solution.status.word()
                );
                match &problem {
                    None => println!("{} {line}", report::mark(Status::Pass)),
                    Some(p) => {
                        println!("{} {line}\n      {p}", report::mark(Status::Fail));
                        let detail = if solution.passed() { starter } else { solution };
                        for d in detail.differences.iter().take(10) {
                            println!("      - {}", d.text);
                        }
                        if let Some(details) = &detail.details {
                            for line in details.lines().take(20) {
                                println!("      {line}");
                            }
                        }
                    }
                }
            }
            Format::Json => {
                let verdict = match &problem {
                    None => Verdict {
                        status: Status::Pass,
                        message: "starter fails, solution passes".into(),
                        ..starter.clone()
                    },
                    Some(p) => Verdict { status: Status::Fail, message: p.clone(), ..starter.clone() },
                };
                let mut entry = JsonExercise::new(exercise, &verdict);
                entry.differences.clear();
                entry.likely_causes.clear();
                entry.details = None;
                entry.starter =
                    Some(JsonSide { status: starter.status, message: starter.message.trim_end_matches(':').into() });
                entry.solution =
                    Some(JsonSide { status: solution.status, message: solution.message.trim_end_matches(':').into() });
                report.push(entry);
            }
        }
    }
    let total = exercises.len();
    match format {
        Format::Text => println!("verify: {verified}/{total} exercises verified (starter fails, solution passes)"),
        Format::Json => JsonReport::new(report).print(),
    }
    if verified == total { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
