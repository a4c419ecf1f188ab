//! The expected telemetry of every exercise, made from its reference solution.
//!
//! This is the only place snapshots are written. After changing a solution (or the
//! harness): `cargo insta test -p checker --test snapshots`, then `cargo insta review`:
//! the diff of the telemetry document is the review. Learners' checks only read them.
//!
//! Each snapshot's header carries the fingerprint of its body, and `harness.snap` the
//! fingerprint of the harness, so that the checker can refuse what was edited by hand.

use std::path::Path;
use std::time::Duration;

use checker::capture::Outcome;
use checker::grade::{self, Options};
use checker::integrity;
use checker::track::{Exercise, Side, Track};

fn track() -> Track {
    Track::load(Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()).unwrap()
}

#[test]
fn every_solution_matches_its_snapshot() {
    let track = track();
    let exercises: Vec<&Exercise> = track.exercises.iter().collect();
    let options = Options { timeout: Duration::from_secs(60), use_cache: false, ..Options::default() };
    let runs = grade::run(&track, &exercises, Side::Solution, options);
    for (exercise, ran) in exercises.iter().zip(runs) {
        let (yaml, what) = match ran {
            Ok(Outcome::Captured(document)) => (document.for_snapshot().to_yaml(), "Expected telemetry"),
            // Graded by its tests: the outcome table of the solution's tests (which pass on the
            // reference, which each regression fails), for review; learners' tests are graded
            // by the rule, not against it.
            Ok(Outcome::Tested(tested)) if exercise.graded_by_tests() => {
                let verdict = checker::tested::verdict(&tested, options.timeout);
                assert!(
                    verdict.passed(),
                    "solution of {}: {} {:?}",
                    exercise.title(),
                    verdict.message,
                    verdict.differences
                );
                (checker::tested::table(&tested), "What the solution's tests catch")
            }
            other => panic!("solution of {} did not produce telemetry: {other:?}", exercise.title()),
        };
        insta::with_settings!({
            snapshot_path => track.snapshot_dir(),
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => format!(
                "{what} of exercise {} (made from solutions/{}); {}{}",
                exercise.title(),
                exercise.dir,
                integrity::MARK,
                integrity::document_fingerprint(&yaml)
            ),
        }, {
            insta::assert_snapshot!(exercise.dir.as_str(), yaml);
        });
    }
}

#[test]
fn the_harness_is_the_one_the_snapshots_were_made_with() {
    let track = track();
    let fingerprint = integrity::harness_fingerprint(&track).expect("the track names its harness");
    insta::with_settings!({
        snapshot_path => track.snapshot_dir(),
        prepend_module_to_snapshot => false,
        omit_expression => true,
        description => format!("Fingerprint of the harness: {}", track.harness.join(", ")),
    }, {
        insta::assert_snapshot!("harness", fingerprint);
    });
}
