//! The verdict cache, in `.lab/cache/verdicts.json`: a verdict is reused as long as
//! nothing it depends on changed, so that re-running the checker with nothing changed
//! costs no build and no capture.
//!
//! A verdict depends on the crate's files, its snapshot, its scenario, the lab's harness
//! (its fingerprint from [`crate::integrity`]; the workspace manifest and lock file) and the
//! checker itself (its executable's size and modification time, which change with every
//! rebuild); and on the binary it was graded from being still there, unchanged (a build of
//! another clone that shares the target folder, or `cargo clean`, changes it). Verdicts that depend on the machine, its load or the limits chosen (a
//! timeout, running out of memory, a build cargo could not run) are never cached.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cargo::Stamp;
use crate::track::{Exercise, Side, Track};
use crate::verdict::Verdict;

#[derive(Default, Serialize, Deserialize)]
struct Entries(BTreeMap<String, Entry>);

#[derive(Serialize, Deserialize)]
struct Entry {
    key: String,
    verdict: Verdict,
    /// The binary the verdict was graded from (none when it did not build) and its stamp.
    #[serde(default)]
    binary: Option<(PathBuf, String)>,
}

pub struct Cache {
    file: Option<PathBuf>,
    entries: Entries,
    /// The part of every key that all exercises share (harness and checker).
    shared: u64,
}

impl Cache {
    pub fn disabled() -> Cache {
        Cache { file: None, entries: Entries::default(), shared: 0 }
    }

    /// The saved cache; a missing or unreadable file is an empty cache. `harness` is the
    /// harness's fingerprint, already computed by the tamper check.
    pub fn load(track: &Track, harness: Option<&str>) -> Cache {
        let file = track.root.join(".lab").join("cache").join("verdicts.json");
        let entries =
            std::fs::read_to_string(&file).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
        let mut shared = Fingerprint::default();
        if let Ok(exe) = std::env::current_exe().and_then(std::fs::metadata) {
            shared.add(format!("{:?} {}", exe.modified().ok(), exe.len()).as_bytes());
        }
        shared.add(harness.unwrap_or_default().as_bytes());
        for manifest in ["Cargo.toml", "Cargo.lock", "exercises/Cargo.toml", "exercises/Cargo.lock"] {
            shared.add_tree(&track.root, Path::new(manifest));
        }
        Cache { file: Some(file), entries, shared: shared.0 }
    }

    /// The key of one crate's verdict, or `None` when caching is off.
    pub fn key(&self, track: &Track, exercise: &Exercise, side: Side) -> Option<String> {
        self.file.as_ref()?;
        let mut key = Fingerprint(self.shared);
        key.add(exercise.scenario.as_bytes());
        key.add(&std::fs::read(track.snapshot_path(exercise)).unwrap_or_default());
        key.add_tree(&track.root, &exercise.folder(side));
        Some(format!("{:016x}", key.0))
    }

    pub fn get(&self, package: &str, key: Option<&str>) -> Option<Verdict> {
        let entry = self.entries.0.get(package)?;
        let binary_holds =
            entry.binary.as_ref().is_none_or(|(path, id)| Stamp::of(path).is_some_and(|now| now.id == *id));
        (Some(entry.key.as_str()) == key && binary_holds).then(|| entry.verdict.clone())
    }

    /// Keeps `verdict` under `key`, graded from the binary `stamp` names; with no key,
    /// forgets what was kept for `package`.
    pub fn put(&mut self, package: &str, key: Option<&str>, stamp: Option<Stamp>, verdict: &Verdict) {
        match key {
            Some(key) => {
                let binary = stamp.map(|s| (s.path, s.id));
                let entry = Entry { key: key.to_string(), verdict: verdict.clone(), binary };
                self.entries.0.insert(package.to_string(), entry);
            }
            None => {
                self.entries.0.remove(package);
            }
        }
    }

    /// Best effort: a cache that cannot be written only makes the next run slower.
    pub fn save(&self) {
        let Some(file) = &self.file else { return };
        let Ok(text) = serde_json::to_string(&self.entries) else { return };
        if std::fs::create_dir_all(file.parent().expect("cache file has a folder")).is_ok() {
            let tmp = file.with_extension("json.tmp");
            if std::fs::write(&tmp, text).is_ok() {
                let _ = std::fs::rename(tmp, file);
            }
        }
    }
}

/// FNV-1a, 64 bits: stable across runs and Rust versions (std's hasher is not).
#[derive(Clone, Copy)]
pub struct Fingerprint(u64);

impl Default for Fingerprint {
    fn default() -> Self {
        Fingerprint(0xcbf2_9ce4_8422_2325)
    }
}

impl Fingerprint {
    pub fn of_bytes(bytes: &[u8]) -> u64 {
        let mut f = Fingerprint::default();
        f.add(bytes);
        f.0
    }

    /// The fingerprint of every file below `root/relative` (see [`Fingerprint::add_tree`]).
    pub fn of_tree(root: &Path, relative: &Path) -> u64 {
        let mut f = Fingerprint::default();
        f.add_tree(root, relative);
        f.0
    }

    fn add(&mut self, bytes: &[u8]) {
        for &b in bytes.iter().chain(&[0xff]) {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// Every file below `root/relative` (or the file itself), by path and content, in a
    /// stable order; `target` folders and dotfiles are skipped. CRLF counts as LF: a
    /// checkout with `core.autocrlf` has the same fingerprint as any other.
    fn add_tree(&mut self, root: &Path, relative: &Path) {
        let path = root.join(relative);
        if path.is_file() {
            let path_text =
                relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            self.add(path_text.as_bytes());
            self.add(&without_cr(std::fs::read(&path).unwrap_or_default()));
            return;
        }
        let Ok(entries) = std::fs::read_dir(&path) else { return };
        let mut names: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
        names.sort();
        for name in names {
            let text = name.to_string_lossy();
            if text.starts_with('.') || text == "target" {
                continue;
            }
            self.add_tree(root, &relative.join(&name));
        }
    }
}

/// `\r\n` as `\n`.
fn without_cr(bytes: Vec<u8>) -> Vec<u8> {
    if !bytes.contains(&b'\r') {
        return bytes;
    }
    let mut out = Vec::with_capacity(bytes.len());
    for (i, &b) in bytes.iter().enumerate() {
        if !(b == b'\r' && bytes.get(i + 1) == Some(&b'\n')) {
            out.push(b);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_changes_with_content_and_not_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("ex/src")).unwrap();
        std::fs::write(dir.path().join("ex/src/lib.rs"), "fn a() {}").unwrap();
        let print = || {
            let mut f = Fingerprint::default();
            f.add_tree(dir.path(), Path::new("ex"));
            f.0
        };
        let first = print();
        assert_eq!(print(), first);
        std::fs::write(dir.path().join("ex/src/lib.rs"), "fn b() {}").unwrap();
        assert_ne!(print(), first);
        std::fs::create_dir_all(dir.path().join("ex/target")).unwrap();
        std::fs::write(dir.path().join("ex/target/junk"), "x").unwrap();
        let before = print();
        std::fs::write(dir.path().join("ex/target/junk"), "y").unwrap();
        assert_eq!(print(), before, "build output does not count");
        std::fs::write(dir.path().join("ex/src/lib.rs"), "fn b() {}\nfn c() {}\n").unwrap();
        let lf = print();
        std::fs::write(dir.path().join("ex/src/lib.rs"), "fn b() {}\r\nfn c() {}\r\n").unwrap();
        assert_eq!(print(), lf, "line endings do not count");
    }
}
