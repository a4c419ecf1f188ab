//! The learner's progress, kept in `.lab/state.json` at the root: outside the exercises
//! (the checker never writes there) and keyed by stable exercise ids.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// The exercise the learner is on (the first one not passing at the last run).
    #[serde(default)]
    pub current: Option<String>,
    /// How many hints of each exercise were shown.
    #[serde(default)]
    pub hints_shown: BTreeMap<String, usize>,
    /// The second record of [`GAVE_UP_FILE`]: deleting that file alone does not erase a
    /// give-up from the report on this machine.
    #[serde(default)]
    pub gave_up: std::collections::BTreeSet<String>,
}

fn path(root: &Path) -> PathBuf {
    root.join(".lab").join("state.json")
}

impl State {
    /// The saved state; a missing or unreadable file is a fresh start, never an error.
    pub fn load(root: &Path) -> State {
        std::fs::read_to_string(path(root)).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default()
    }

    pub fn save(&self, root: &Path) -> std::io::Result<()> {
        let path = path(root);
        std::fs::create_dir_all(path.parent().expect("state path has a parent"))?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_string_pretty(self).expect("state serialises"))?;
        std::fs::rename(tmp, path)
    }
}

/// The exercises whose solution the learner asked to see before they passed, one id a
/// line. The one file of `.lab/` that git keeps (`.gitignore`), so that an instructor
/// sees it in the learner's repository, and the JSON report says it per exercise. A
/// second record is kept in `.lab/state.json` ([`State::gave_up`]); the report reads both.
pub const GAVE_UP_FILE: &str = ".lab/gave-up.txt";

/// The exercises the learner gave up on, by either record (see [`GAVE_UP_FILE`]); none
/// when both are missing or unreadable.
pub fn gave_up(root: &Path) -> std::collections::BTreeSet<String> {
    let mut ids = tracked_gave_up(root);
    ids.extend(State::load(root).gave_up);
    ids
}

fn tracked_gave_up(root: &Path) -> std::collections::BTreeSet<String> {
    std::fs::read_to_string(root.join(GAVE_UP_FILE))
        .map(|text| text.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect())
        .unwrap_or_default()
}

/// Adds `id` to both records; an error when either cannot be written (the solution is
/// then not shown).
pub fn record_gave_up(root: &Path, id: &str) -> std::io::Result<()> {
    let mut ids = gave_up(root);
    ids.insert(id.to_string());
    let path = root.join(GAVE_UP_FILE);
    std::fs::create_dir_all(path.parent().expect("the file is in .lab/"))?;
    let text: String = ids.iter().map(|id| format!("{id}\n")).collect();
    if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
        std::fs::write(&path, text)?;
    }
    let mut state = State::load(root);
    if state.gave_up != ids {
        state.gave_up = ids;
        state.save(root)?;
    }
    Ok(())
}
