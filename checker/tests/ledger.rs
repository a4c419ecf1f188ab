//! The ledger of lessons: every rule an exercise's README states (a must, a never, an
//! always) is in its `[[exercise.lesson]]` list in `exercises/track.toml`, either with the
//! variants that prove the checker grades it or with `graded = false` and the reason its
//! README prints beside the rule.
//!
//! A static cross-check, so it is fast: `checker/tests/variants.rs` builds each variant and
//! proves it fails with a message naming the item; this test proves the ledger names only
//! variants that exist, of the right exercise (a variant is named by its `mistake` text,
//! unique within its exercise), and that every ungraded rule says so where
//! the learner reads it. `cargo test -p checker --test ledger -- --nocapture` prints the
//! ledger's size per exercise.

use std::path::{Path, PathBuf};

use checker::track::{Exercise, Track};
use serde::Deserialize;

#[derive(Deserialize)]
struct Variants {
    variant: Vec<Variant>,
}

/// What the ledger refers to; the rest of a variant is `variants.rs`'s business.
#[derive(Deserialize, Clone)]
struct Variant {
    exercise: String,
    mistake: String,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The variants, or `None` in the student edition, which leaves them out with the solutions
/// they are made of (`checker/src/edition.rs`): there the READMEs are still checked.
fn variants(root: &Path, track: &Track) -> Option<Vec<Variant>> {
    let path = root.join("checker/tests/variants.toml");
    if !path.is_file() && !track.has_solutions() {
        return None;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Some(toml::from_str::<Variants>(&text).expect("variants.toml parses").variant)
}

/// Markdown wraps lines anywhere: compare texts with every run of white space as one space.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every gap between the ledger, the variants (unless `None`) and the READMEs, in words an
/// editor acts on.
fn problems(track: &Track, variants: Option<&[Variant]>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for v in variants.unwrap_or_default() {
        if !seen.insert((v.exercise.as_str(), v.mistake.as_str())) {
            problems.push(format!(
                "variants.toml: exercise `{}` has the mistake {:?} twice (the ledger names variants by it)",
                v.exercise, v.mistake
            ));
        }
    }
    for exercise in &track.exercises {
        let readme = std::fs::read_to_string(track.root.join(exercise.readme())).unwrap_or_default();
        let readme = words(&readme);
        if exercise.lessons.is_empty() {
            problems.push(format!("{}: no lesson in its ledger", exercise.title()));
        }
        for lesson in &exercise.lessons {
            let label = format!("{} / {:?}", exercise.title(), lesson.rule);
            if lesson.graded && lesson.variants.is_empty() {
                problems.push(format!(
                    "{label}: no variant proves it is graded; name one, write one, or say `graded = false` and why"
                ));
            }
            for name in lesson.variants.iter().filter(|_| variants.is_some()) {
                let variants = variants.unwrap_or_default();
                let mut same = variants.iter().filter(|v| &v.mistake == name);
                if same.clone().any(|v| v.exercise == exercise.id) {
                    continue;
                }
                match same.next() {
                    None => problems.push(format!("{label}: no variant in variants.toml has the mistake {name:?}")),
                    Some(v) => problems.push(format!(
                        "{label}: the variant {name:?} belongs to exercise `{}`, not `{}`",
                        v.exercise, exercise.id
                    )),
                }
            }
            if let (false, Some(why)) = (lesson.graded, &lesson.why) {
                let why = words(why);
                if !(why.starts_with("Not graded: ") || why.starts_with("Not graded yet: ")) {
                    problems.push(format!("{label}: its reason must start \"Not graded: \" or \"Not graded yet: \""));
                }
                if !readme.contains(&why) {
                    problems
                        .push(format!("{label}: {} does not print its reason {why:?}", exercise.readme().display()));
                }
            }
        }
    }
    problems
}

fn size(exercise: &Exercise) -> String {
    let graded = exercise.lessons.iter().filter(|l| l.graded).count();
    let not = exercise.lessons.iter().filter(|l| !l.graded);
    let yet = not.clone().filter(|l| l.why.as_deref().is_some_and(|w| w.starts_with("Not graded yet"))).count();
    format!("{:<34} {graded:>3} graded, {:>2} not graded ({yet} of them yet)", exercise.title(), not.count())
}

#[test]
fn every_lesson_is_graded_by_a_variant_or_says_why_not_in_its_readme() {
    let root = root();
    let track = Track::load(&root).unwrap();
    let variants = variants(&root, &track);
    println!("The ledger (exercises/track.toml):");
    for exercise in &track.exercises {
        println!("  {}", size(exercise));
    }
    let lessons: Vec<_> = track.exercises.iter().flat_map(|e| &e.lessons).collect();
    let named: std::collections::HashSet<_> = lessons.iter().flat_map(|l| &l.variants).collect();
    println!("  {} lessons, {} graded", lessons.len(), lessons.iter().filter(|l| l.graded).count());
    match &variants {
        Some(variants) => println!(
            "  {} of {} variants named by a lesson",
            variants.iter().filter(|v| named.contains(&v.mistake)).count(),
            variants.len()
        ),
        None => println!("  (no variants here: the student edition; the READMEs are checked)"),
    }
    let problems = problems(&track, variants.as_deref());
    assert!(problems.is_empty(), "{} problem(s) in the ledger:\n{}", problems.len(), problems.join("\n"));
}

/// The cross-check is only worth its green if it can go red: a small track with one of each
/// gap, in a folder of its own.
#[test]
fn the_cross_check_names_each_kind_of_gap() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("exercises/01-one")).unwrap();
    std::fs::create_dir_all(root.join("exercises/02-two")).unwrap();
    std::fs::write(
        root.join("exercises/track.toml"),
        r#"
snapshots = "snapshots"

[[exercise]]
id = "one"
dir = "01-one"
name = "One"
edit = "src/lib.rs"
[[exercise.lesson]]
rule = "graded, by a variant of its own"
variants = ["a mistake of one"]
[[exercise.lesson]]
rule = "no variant and not said ungraded"
[[exercise.lesson]]
rule = "a variant that does not exist"
variants = ["a mistake nobody wrote"]
[[exercise.lesson]]
rule = "another exercise's variant"
variants = ["a mistake of two"]
[[exercise.lesson]]
rule = "ungraded, and its README says so"
graded = false
why = "Not graded: the first thing, because it cannot differ."
[[exercise.lesson]]
rule = "ungraded, and its README is silent"
graded = false
why = "Not graded yet: the second thing."
[[exercise.lesson]]
rule = "ungraded, in other words"
graded = false
why = "It cannot differ."

[[exercise]]
id = "two"
dir = "02-two"
name = "Two"
edit = "src/lib.rs"
"#,
    )
    .unwrap();
    std::fs::write(
        root.join("exercises/01-one/README.md"),
        "Do it.\n*Not graded: the first\nthing, because it cannot differ.* It cannot differ.\n",
    )
    .unwrap();
    let track = Track::load(root).unwrap();
    let variants = vec![
        Variant { exercise: "one".into(), mistake: "a mistake of one".into() },
        Variant { exercise: "two".into(), mistake: "a mistake of two".into() },
    ];
    let found = problems(&track, Some(&variants));
    let expected = [
        "1. One / \"no variant and not said ungraded\": no variant proves it is graded",
        "1. One / \"a variant that does not exist\": no variant in variants.toml has the mistake \"a mistake nobody wrote\"",
        "1. One / \"another exercise's variant\": the variant \"a mistake of two\" belongs to exercise `two`, not `one`",
        "1. One / \"ungraded, and its README is silent\": exercises/01-one/README.md does not print its reason \"Not graded yet: the second thing.\"",
        "1. One / \"ungraded, in other words\": its reason must start \"Not graded: \" or \"Not graded yet: \"",
        "2. Two: no lesson in its ledger",
    ];
    for e in expected {
        assert!(found.iter().any(|p| p.starts_with(e)), "not reported: {e}\nreported:\n{}", found.join("\n"));
    }
    assert_eq!(found.len(), expected.len(), "reported more than the gaps:\n{}", found.join("\n"));

    // The student edition has no variants: their names go unchecked, the READMEs are still read.
    let edition = problems(&track, None);
    assert!(edition.iter().any(|p| p.contains("does not print its reason")), "{}", edition.join("\n"));
    assert!(!edition.iter().any(|p| p.contains("variants.toml") || p.contains("belongs to")), "{}", edition.join("\n"));

    // A mistake text twice, and a lesson whose shape contradicts itself.
    let twice = vec![variants[0].clone(), variants[0].clone()];
    assert!(problems(&track, Some(&twice)).iter().any(|p| p.contains("has the mistake \"a mistake of one\" twice")));
    let text = std::fs::read_to_string(root.join("exercises/track.toml")).unwrap();
    std::fs::write(root.join("exercises/track.toml"), text.replace("why = \"Not graded yet: the second thing.\"", ""))
        .unwrap();
    let error = format!("{:#}", Track::load(root).unwrap_err());
    assert!(error.contains("has `graded = false` but no `why`"), "{error}");
}
