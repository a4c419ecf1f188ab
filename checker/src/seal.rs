//! The student edition's sealed answers: the reference solutions' sources and the track's
//! hints, kept in one file (`checker/sealed.bin`) that is not readable as plain text, so
//! that a learner browsing the repository does not stumble on an answer. `solution N`
//! opens it after a pass (or with `--give-up`), and `hint` takes one hint at a time out of
//! it.
//!
//! It is obfuscation, not cryptography: the key is in this file, and a learner who writes
//! a few lines of Rust can read the whole seal. It keeps answers out of sight, as a
//! teacher's folded answer sheet does; the README says so.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

/// The sealed file, relative to the lab's root (only in the student edition).
pub const SEAL_FILE: &str = "checker/sealed.bin";

/// What the first line of the file says, so that a reader who opens it knows what it is.
const MAGIC: &[u8] = b"OpenTelemetry lab, sealed answers (see checker/src/seal.rs), format 1\n";

/// The seed of the key stream. Not a secret (see the module's docs).
const SEED: u64 = 0x6f74_656c_2d6c_6162;

#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Sealed {
    /// Exercise folder (`01-resource`) -> the reference solution's Rust sources, by path
    /// relative to the solution's folder (`src/telemetry.rs`).
    pub solutions: BTreeMap<String, BTreeMap<String, String>>,
    /// Exercise id -> its hints, in order.
    pub hints: BTreeMap<String, Vec<String>>,
}

impl Sealed {
    /// The sealed bytes: the magic line, then the JSON of `self` mixed with a key stream.
    pub fn seal(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec(self).expect("the sealed answers serialise");
        mix(&mut bytes);
        let mut out = MAGIC.to_vec();
        out.extend(bytes);
        out
    }

    pub fn unseal(bytes: &[u8]) -> anyhow::Result<Sealed> {
        let Some(body) = bytes.strip_prefix(MAGIC) else {
            bail!("it is not a sealed file of this checker's format");
        };
        let mut body = body.to_vec();
        mix(&mut body);
        serde_json::from_slice(&body).context("its content is damaged")
    }

    /// The sealed answers of the lab at `root`, if it is a student edition.
    pub fn open(root: &Path) -> Option<anyhow::Result<Sealed>> {
        let path = root.join(SEAL_FILE);
        if !path.is_file() {
            return None;
        }
        Some(
            std::fs::read(&path)
                .context("cannot read it")
                .and_then(|bytes| Sealed::unseal(&bytes))
                .with_context(|| format!("{SEAL_FILE} (restore it with `git checkout -- {SEAL_FILE}`)")),
        )
    }
}

/// XORs the bytes with a xorshift64* key stream: its own inverse.
fn mix(bytes: &mut [u8]) {
    let mut state = SEED;
    for chunk in bytes.chunks_mut(8) {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let key = state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes();
        for (byte, k) in chunk.iter_mut().zip(key) {
            *byte ^= k;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seal_opens_to_what_went_in_and_hides_its_text() {
        let mut sealed = Sealed::default();
        sealed.hints.insert("resource".into(), vec!["`.with_service_name(\"iss-distance\")`".into()]);
        sealed
            .solutions
            .insert("01-resource".into(), [("src/telemetry.rs".to_string(), "fn resource() {}".to_string())].into());
        let bytes = sealed.seal();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("with_service_name") && !text.contains("fn resource"), "{text}");
        assert_eq!(Sealed::unseal(&bytes).unwrap(), sealed);
        assert!(Sealed::unseal(b"hello").is_err());
        let mut damaged = bytes.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 0xff;
        assert!(Sealed::unseal(&damaged).is_err());
    }
}
