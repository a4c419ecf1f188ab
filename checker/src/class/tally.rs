//! The class's figures: per exercise, who passed, who gave up and what stops the rest;
//! per student, how far they got.

use std::collections::BTreeMap;

use super::read::{Entry, Item, Student};

/// One exercise across the class.
#[derive(Debug, Clone, Default)]
pub struct ExerciseTally {
    pub number: usize,
    pub id: String,
    pub name: String,
    /// Students whose report has this exercise.
    pub students: usize,
    pub passed: usize,
    /// Students who saw the solution before passing (`solution --give-up`), passed or not.
    pub gave_up: usize,
    /// Students who have not passed it, by status (`fail`, `compile_error`, ...).
    pub not_passed: BTreeMap<String, usize>,
    /// What stops those who have not passed, most common first.
    pub differences: Vec<KindTally>,
    pub causes: Vec<KindTally>,
    /// Students for whom this is the first exercise not passed: where they are.
    pub stalled_here: usize,
}

/// One kind of difference or cause within an exercise: how many students meet it, and
/// one of its texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindTally {
    pub kind: String,
    pub students: usize,
    pub example: String,
}

/// One student: how far they got.
#[derive(Debug, Clone)]
pub struct StudentTally {
    pub name: String,
    pub passed: usize,
    pub total: usize,
    /// The first exercise not passed (number, name, status); `None` when all pass.
    pub first_open: Option<(usize, String, String)>,
    /// Numbers of the exercises they gave up on.
    pub gave_up: Vec<usize>,
}

#[derive(Debug, Clone, Default)]
pub struct Class {
    /// Along the track, by number.
    pub exercises: Vec<ExerciseTally>,
    pub students: Vec<StudentTally>,
    /// Students who passed everything.
    pub finished: usize,
}

pub fn tally(students: &[Student]) -> Class {
    let mut exercises: BTreeMap<usize, ExerciseTally> = BTreeMap::new();
    // exercise -> kind -> (students, example)
    let mut differences: BTreeMap<usize, BTreeMap<String, (usize, String)>> = BTreeMap::new();
    let mut causes: BTreeMap<usize, BTreeMap<String, (usize, String)>> = BTreeMap::new();
    let mut per_student = Vec::new();
    let mut finished = 0;
    for student in students {
        let mut entries: Vec<&Entry> = student.exercises.iter().collect();
        entries.sort_by_key(|e| e.number);
        for entry in &entries {
            let t = exercises.entry(entry.number).or_insert_with(|| ExerciseTally {
                number: entry.number,
                id: entry.id.clone(),
                name: entry.name.clone(),
                ..ExerciseTally::default()
            });
            t.students += 1;
            t.gave_up += usize::from(entry.gave_up);
            if entry.passed() {
                t.passed += 1;
                continue;
            }
            *t.not_passed.entry(entry.status.clone()).or_default() += 1;
            count_kinds(differences.entry(entry.number).or_default(), &entry.differences);
            count_kinds(causes.entry(entry.number).or_default(), &entry.likely_causes);
        }
        let first_open = entries.iter().find(|e| !e.passed());
        match first_open {
            Some(e) => exercises.get_mut(&e.number).expect("counted above").stalled_here += 1,
            None => finished += 1,
        }
        per_student.push(StudentTally {
            name: student.name.clone(),
            passed: entries.iter().filter(|e| e.passed()).count(),
            total: entries.len(),
            first_open: first_open.map(|e| (e.number, e.name.clone(), e.status.clone())),
            gave_up: entries.iter().filter(|e| e.gave_up).map(|e| e.number).collect(),
        });
    }
    for (number, t) in &mut exercises {
        t.differences = ranked(differences.remove(number).unwrap_or_default());
        t.causes = ranked(causes.remove(number).unwrap_or_default());
    }
    Class { exercises: exercises.into_values().collect(), students: per_student, finished }
}

/// Each kind once per student, however many of its lines they have.
fn count_kinds(counts: &mut BTreeMap<String, (usize, String)>, items: &[Item]) {
    let mut seen = std::collections::BTreeSet::new();
    for item in items {
        if seen.insert(item.kind.as_str()) {
            counts.entry(item.kind.clone()).or_insert_with(|| (0, item.text.clone())).0 += 1;
        }
    }
}

/// Most common first; equal counts by kind, so the page is the same on every run.
fn ranked(counts: BTreeMap<String, (usize, String)>) -> Vec<KindTally> {
    let mut list: Vec<KindTally> =
        counts.into_iter().map(|(kind, (students, example))| KindTally { kind, students, example }).collect();
    list.sort_by(|a, b| b.students.cmp(&a.students).then_with(|| a.kind.cmp(&b.kind)));
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(number: usize, status: &str, kinds: &[&str]) -> Entry {
        Entry {
            id: format!("e{number}"),
            number,
            name: format!("exercise {number}"),
            status: status.into(),
            gave_up: false,
            differences: kinds.iter().map(|k| Item { kind: k.to_string(), text: format!("text of {k}") }).collect(),
            likely_causes: vec![],
        }
    }

    #[test]
    fn kinds_count_students_not_lines_most_common_first() {
        let students = vec![
            Student {
                name: "ada".into(),
                exercises: vec![
                    entry(1, "pass", &[]),
                    entry(2, "fail", &["traces.span.missing", "traces.span.missing"]),
                ],
            },
            Student {
                name: "bob".into(),
                exercises: vec![
                    entry(1, "fail", &["metrics.unit"]),
                    entry(2, "fail", &["traces.span.missing", "metrics.unit"]),
                ],
            },
            Student { name: "cy".into(), exercises: vec![entry(1, "pass", &[]), entry(2, "pass", &[])] },
        ];
        let class = tally(&students);
        assert_eq!(class.finished, 1);
        let two = &class.exercises[1];
        assert_eq!((two.passed, two.students, two.stalled_here), (1, 3, 1));
        let ranked: Vec<(&str, usize)> = two.differences.iter().map(|k| (k.kind.as_str(), k.students)).collect();
        assert_eq!(ranked, [("traces.span.missing", 2), ("metrics.unit", 1)]);
        assert_eq!(class.exercises[0].stalled_here, 1, "bob is stuck on the first");
        assert_eq!(class.students[1].first_open.as_ref().map(|f| f.0), Some(1));
    }
}
