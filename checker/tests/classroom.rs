//! The committed GitHub Classroom workflow grades exactly the exercises of the track.

use std::path::Path;

use checker::classroom;
use checker::track::Track;

#[test]
fn the_classroom_workflow_is_generated_from_the_track() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let track = Track::load(root).unwrap();
    let generated = classroom::workflow(&track);
    let committed = std::fs::read_to_string(root.join(classroom::WORKFLOW)).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is not the workflow for this track; regenerate it with\n  cargo run -p checker -- classroom > {}",
        classroom::WORKFLOW,
        classroom::WORKFLOW
    );
    let yaml: serde_norway::Value = serde_norway::from_str(&committed).expect("the workflow is valid YAML");
    let steps = yaml["jobs"]["grade"]["steps"].as_sequence().unwrap();
    for exercise in &track.exercises {
        let graded = steps.iter().any(|s| {
            s["with"]["command"].as_str().is_some_and(|c| c == format!("./target/debug/checker check {}", exercise.id))
                && s["with"]["max-score"].as_u64() == Some(u64::from(classroom::POINTS))
        });
        assert!(graded, "no graded step for {}", exercise.title());
    }
}
