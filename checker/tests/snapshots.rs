//! The expected telemetry of every exercise, made from its reference solution.
//!
//! This is the only place snapshots are written. After changing a solution:
//! `cargo insta test -p checker --test snapshots`, then `cargo insta review`: the diff of
//! the telemetry document is the review. Learners' checks only ever read snapshots.

use std::path::Path;
use std::time::Duration;

use checker::capture::Outcome;
use checker::grade::{self, Options};
use checker::track::{Exercise, Side, Track};

#[test]
fn every_solution_matches_its_snapshot() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let track = Track::load(root).unwrap();
    let exercises: Vec<&Exercise> = track.exercises.iter().collect();
    let runs =
        grade::run(&track, &exercises, Side::Solution, Options { timeout: Duration::from_secs(60), use_cache: false });
    for (exercise, ran) in exercises.iter().zip(runs) {
        let document = match ran {
            Ok(Outcome::Captured(document)) => document.without_timing(),
            other => panic!("solution of {} did not produce telemetry: {other:?}", exercise.title()),
        };
        insta::with_settings!({
            snapshot_path => track.snapshot_dir(),
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => format!("Expected telemetry of exercise {} (made from solutions/{})", exercise.title(), exercise.dir),
        }, {
            insta::assert_snapshot!(exercise.dir.as_str(), document.to_yaml());
        });
    }
}
