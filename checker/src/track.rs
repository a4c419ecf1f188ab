//! The track: the ordered list of exercises, read from `exercises/track.toml`, each with its
//! hints and its ledger of lessons ([`Lesson`]).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

pub const TRACK_FILE: &str = "exercises/track.toml";

/// The `scenario` of an exercise graded by its own tests ([`Exercise::graded_by_tests`]).
pub const TESTS_SCENARIO: &str = "tests";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Track {
    /// Folder of the snapshots, relative to the root.
    snapshots: PathBuf,
    /// Files and folders of the harness that every capture runs through (tamper-checked).
    #[serde(default)]
    pub harness: Vec<String>,
    #[serde(rename = "exercise")]
    pub exercises: Vec<Exercise>,
    /// The workspace root everything is relative to.
    #[serde(skip)]
    pub root: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    pub id: String,
    pub dir: String,
    pub name: String,
    pub edit: String,
    #[serde(default = "default_scenario")]
    pub scenario: String,
    #[serde(default)]
    pub hints: Vec<String>,
    /// The ledger of the exercise's lessons: every rule its README states as a must, a never
    /// or an always, with how it is graded (`[[exercise.lesson]]` in the track file).
    #[serde(default, rename = "lesson")]
    pub lessons: Vec<Lesson>,
    /// 1-based position in the track.
    #[serde(skip)]
    pub number: usize,
}

fn default_scenario() -> String {
    "distance".into()
}

/// One rule an exercise's README teaches, and what proves the checker grades it.
///
/// Either `variants`: the `mistake` texts of the plausible mistakes in
/// `checker/tests/variants.toml` that break the rule and fail (each one is built and graded
/// by `checker/tests/variants.rs`); or `graded = false` with `why`, the sentence the README
/// prints beside the rule ("Not graded: ..., because ..." or, for a rule whose harness fact
/// is still to come, "Not graded yet: ..."). `checker/tests/ledger.rs` cross-checks both.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    /// The rule, in the README's words.
    pub rule: String,
    #[serde(default)]
    pub variants: Vec<String>,
    #[serde(default = "graded_by_default")]
    pub graded: bool,
    /// Why it is not graded, as the README says it; only with `graded = false`.
    pub why: Option<String>,
}

fn graded_by_default() -> bool {
    true
}

impl Lesson {
    /// What is wrong with the lesson's shape, if anything: a reason without `graded = false`,
    /// `graded = false` without a reason or with variants.
    fn shape_error(&self) -> Option<&'static str> {
        match (self.graded, self.why.as_deref().map(str::trim), self.variants.is_empty()) {
            (true, Some(_), _) => Some("has a `why` but is graded: `why` goes with `graded = false`"),
            (false, None | Some(""), _) => Some("has `graded = false` but no `why`: say why, as its README does"),
            (false, Some(_), false) => Some("has `graded = false` and variants: a variant proves it is graded"),
            _ => None,
        }
    }
}

/// Which crate of an exercise: the learner's or the reference solution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Exercise,
    Solution,
}

impl Side {
    pub fn folder(self) -> &'static str {
        match self {
            Side::Exercise => "exercises",
            Side::Solution => "solutions",
        }
    }

    /// The manifest of the cargo workspace this side's crates belong to, relative to the
    /// root: the learners' crates are a workspace of their own (`exercises/Cargo.toml`), so
    /// that one broken manifest among them never stops the lab's own workspace (the root's:
    /// the checker, the harness, the solutions) from loading.
    pub fn workspace(self) -> &'static str {
        match self {
            Side::Exercise => "exercises/Cargo.toml",
            Side::Solution => "Cargo.toml",
        }
    }
}

impl Track {
    pub fn load(root: &Path) -> anyhow::Result<Track> {
        let path = root.join(TRACK_FILE);
        let text =
            std::fs::read_to_string(&path).with_context(|| format!("cannot read the track file {}", path.display()))?;
        let mut track =
            Track::from_text(&text, root).with_context(|| format!("{} is not a valid track file", path.display()))?;
        // The student edition keeps the hints sealed (see `crate::seal`): taken out one at
        // a time by `hint`, never all in plain text in the track file.
        if let Some(sealed) = crate::seal::Sealed::open(root) {
            match sealed {
                Ok(mut sealed) => {
                    for exercise in track.exercises.iter_mut().filter(|e| e.hints.is_empty()) {
                        exercise.hints = sealed.hints.remove(&exercise.id).unwrap_or_default();
                    }
                }
                Err(e) => eprintln!("warning: the hints are unavailable: {e:#}"),
            }
        }
        Ok(track)
    }

    /// The track file's text, read as the track of the lab at `root`.
    pub fn from_text(text: &str, root: &Path) -> anyhow::Result<Track> {
        let mut track: Track = toml::from_str(text)?;
        track.root = root.to_path_buf();
        let mut ids = std::collections::HashSet::new();
        for (i, exercise) in track.exercises.iter_mut().enumerate() {
            exercise.number = i + 1;
            if !ids.insert(exercise.id.clone()) {
                bail!("the id `{}` is used twice", exercise.id);
            }
            for lesson in &exercise.lessons {
                if let Some(error) = lesson.shape_error() {
                    bail!("exercise `{}`: the lesson {:?} {error}", exercise.id, lesson.rule);
                }
            }
        }
        if track.exercises.is_empty() {
            bail!("the track has no exercises");
        }
        Ok(track)
    }

    /// Whether the reference solutions are here as crates, which the maintainers' commands
    /// run: not in the student edition ([`crate::edition`]), whose solutions are sealed.
    pub fn has_solutions(&self) -> bool {
        self.root.join(Side::Solution.folder()).is_dir()
    }

    /// Whether this is a student edition, whose solutions and hints are sealed
    /// ([`crate::seal`]).
    pub fn is_edition(&self) -> bool {
        !self.has_solutions() && self.root.join(crate::seal::SEAL_FILE).is_file()
    }

    /// The `Cargo.toml` of one side of an exercise.
    pub fn manifest(&self, exercise: &Exercise, side: Side) -> PathBuf {
        self.root.join(exercise.folder(side)).join("Cargo.toml")
    }

    pub fn snapshot_dir(&self) -> PathBuf {
        self.root.join(&self.snapshots)
    }

    /// `<snapshots>/<dir>.snap`: insta's file for the snapshot named after the folder.
    pub fn snapshot_path(&self, exercise: &Exercise) -> PathBuf {
        self.snapshot_dir().join(format!("{}.snap", exercise.dir))
    }

    /// Finds an exercise by number (`3`, `03`), id (`first-span`), folder (`03-first-span`)
    /// or package name (`ex03-first-span`).
    pub fn find(&self, query: &str) -> Option<&Exercise> {
        let q = query.trim().trim_end_matches('/');
        let q = q.rsplit('/').next().unwrap_or(q);
        if let Ok(n) = q.parse::<usize>() {
            return self.exercises.get(n.checked_sub(1)?);
        }
        self.exercises
            .iter()
            .find(|e| e.id == q || e.dir == q || e.package(Side::Exercise) == q || e.package(Side::Solution) == q)
    }
}

impl Exercise {
    pub fn package(&self, side: Side) -> String {
        match side {
            Side::Exercise => format!("ex{}", self.dir),
            Side::Solution => format!("ex{}-solution", self.dir),
        }
    }

    /// The exercise's folder, relative to the root.
    pub fn folder(&self, side: Side) -> PathBuf {
        Path::new(side.folder()).join(&self.dir)
    }

    /// The file the learner edits, relative to the root.
    pub fn edit_file(&self, side: Side) -> PathBuf {
        self.folder(side).join(&self.edit)
    }

    /// Whether the exercise is graded by the learner's own tests (`scenario = "tests"`,
    /// [`crate::tested`]) rather than by the telemetry its service emits under a scenario.
    pub fn graded_by_tests(&self) -> bool {
        self.scenario == TESTS_SCENARIO
    }

    pub fn readme(&self) -> PathBuf {
        self.folder(Side::Exercise).join("README.md")
    }

    /// `3. First span`
    pub fn title(&self) -> String {
        format!("{}. {}", self.number, self.name)
    }
}
