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
