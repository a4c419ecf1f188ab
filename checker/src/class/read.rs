//! Reading the class's reports: one `--format json` report per student, named after its
//! file. A file that is not such a report is set aside with the reason, never fatal.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One student's report, as much of it as the class view needs.
#[derive(Debug, Clone)]
pub struct Student {
    /// The file's name without `.json`.
    pub name: String,
    pub exercises: Vec<Entry>,
}

/// One exercise of a report.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    pub id: String,
    pub number: usize,
    pub name: String,
    /// `pass`, `fail`, `compile_error`, ... (kept as text: a newer checker may add one).
    pub status: String,
    #[serde(default)]
    pub gave_up: bool,
    #[serde(default)]
    pub differences: Vec<Item>,
    #[serde(default)]
    pub likely_causes: Vec<Item>,
}

impl Entry {
    pub fn passed(&self) -> bool {
        self.status == "pass"
    }
}

/// A difference or a likely cause: its kind and its text.
#[derive(Debug, Clone)]
pub struct Item {
    pub kind: String,
    pub text: String,
}

/// The kind given to an item of a report written before kinds existed (a likely cause
/// was then a bare sentence).
pub const UNSORTED: &str = "unsorted";

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Kinded {
                #[serde(default)]
                kind: Option<String>,
                text: String,
            },
        }
        Ok(match Raw::deserialize(deserializer)? {
            Raw::Text(text) => Item { kind: UNSORTED.into(), text },
            Raw::Kinded { kind, text } => Item { kind: kind.unwrap_or_else(|| UNSORTED.into()), text },
        })
    }
}

#[derive(Deserialize)]
struct Report {
    exercises: Vec<Entry>,
}

/// A file that was not read, and why.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub file: PathBuf,
    pub why: String,
}

/// Every `*.json` of `dir`, in the order of their names; the students, and the files set
/// aside. An error only when `dir` itself cannot be read.
pub fn read_dir(dir: &Path) -> std::io::Result<(Vec<Student>, Vec<Skipped>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
        .collect();
    files.sort();
    let mut students = Vec::new();
    let mut skipped = Vec::new();
    for file in files {
        match read_one(&file) {
            Ok(student) => students.push(student),
            Err(why) => skipped.push(Skipped { file, why }),
        }
    }
    Ok((students, skipped))
}

fn read_one(file: &Path) -> Result<Student, String> {
    let name = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot be read: {e}"))?;
    let report: Report =
        serde_json::from_str(&text).map_err(|e| format!("is not a checker report (`checker --format json`): {e}"))?;
    if report.exercises.is_empty() {
        return Err("is a report of no exercise".into());
    }
    Ok(Student { name, exercises: report.exercises })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_files_are_set_aside_with_the_reason_and_the_rest_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let good = r#"{"total":1,"passed":1,"exercises":[{"id":"a","number":1,"name":"a","status":"pass",
            "message":"ok","edit":"x"}]}"#;
        std::fs::write(dir.path().join("ada.json"), good).unwrap();
        std::fs::write(dir.path().join("bob.json"), "{ not json").unwrap();
        std::fs::write(dir.path().join("cy.json"), r#"{"exercises":[]}"#).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
        let (students, skipped) = read_dir(dir.path()).unwrap();
        assert_eq!(students.len(), 1);
        assert_eq!(students[0].name, "ada");
        let names: Vec<String> = skipped.iter().map(|s| s.file.file_name().unwrap().to_string_lossy().into()).collect();
        assert_eq!(names, ["bob.json", "cy.json"]);
        assert!(skipped[0].why.contains("not a checker report"), "{:?}", skipped[0]);
    }

    #[test]
    fn a_report_from_before_kinds_reads_with_its_causes_unsorted() {
        let old = r#"{"exercises":[{"id":"a","number":1,"name":"a","status":"fail",
            "differences":[{"signal":"traces","text":"span missing"}],"likely_causes":["a sentence"]}]}"#;
        let report: Report = serde_json::from_str(old).unwrap();
        assert_eq!(report.exercises[0].likely_causes[0].kind, UNSORTED);
        assert_eq!(report.exercises[0].differences[0].text, "span missing");
    }
}
