//! Tamper checks: the checker grades only against snapshots and a harness that are as
//! the maintainers made them.
//!
//! Each snapshot's insta header carries a fingerprint of its body (written by the
//! snapshot test), so a snapshot edited by hand no longer matches its own header. The
//! harness (the crates that run and normalise every exercise, listed under `harness` in
//! the track file) has one fingerprint, kept as the snapshot `harness.snap`. This catches
//! accidents and naive edits; it is not cryptography, and the README says so.

use std::path::Path;

use crate::cache::Fingerprint;
use crate::track::Track;

/// The word before a fingerprint in a snapshot's header.
pub const MARK: &str = "fingerprint ";

/// Fingerprint of a snapshot body (line endings and trailing blank lines ignored).
pub fn document_fingerprint(body: &str) -> String {
    let normalised = body.replace('\r', "");
    format!("{:016x}", Fingerprint::of_bytes(normalised.trim_end().as_bytes()))
}

/// Fingerprint of the harness files listed in the track.
pub fn harness_fingerprint(track: &Track) -> Option<String> {
    if track.harness.is_empty() {
        return None;
    }
    let mut all = Vec::new();
    for path in &track.harness {
        all.extend(Fingerprint::of_tree(&track.root, Path::new(path)).to_le_bytes());
    }
    Some(format!("{:016x}", Fingerprint::of_bytes(&all)))
}

/// Checks a snapshot's body against the fingerprint in its header.
pub fn check_snapshot(header: &str, body: &str) -> Result<(), String> {
    let recorded =
        header.split(MARK).nth(1).map(|rest| rest.chars().take_while(char::is_ascii_hexdigit).collect::<String>());
    match recorded {
        Some(recorded) if recorded == document_fingerprint(body) => Ok(()),
        Some(_) => {
            Err("its snapshot was changed by hand: the expected telemetry no longer matches its fingerprint".into())
        }
        None => Err("its snapshot has no fingerprint in its header".into()),
    }
}

/// Checks the harness against `harness.snap`, when the track names a harness, and returns
/// its fingerprint (which the verdict cache keys on too).
pub fn check_harness(track: &Track) -> Result<Option<String>, String> {
    let Some(now) = harness_fingerprint(track) else { return Ok(None) };
    let file = track.snapshot_dir().join("harness.snap");
    let Ok(recorded) = std::fs::read_to_string(&file) else {
        let shown = file.strip_prefix(&track.root).unwrap_or(&file).display().to_string();
        return Err(format!(
            "the lab's {shown} is missing or unreadable, so the harness cannot be checked. This is not your code: \
             restore it with `git checkout -- {shown}`."
        ));
    };
    if recorded.lines().any(|line| line.trim() == now) {
        Ok(Some(now))
    } else {
        Err(format!(
            "the lab's harness ({}) differs from the one the snapshots were made with. If you changed it by \
             accident, restore it with `git checkout {}`. Maintainers who changed it on purpose: \
             `cargo insta test -p checker --test snapshots`, then `cargo insta review`.",
            track.harness.join(", "),
            track.harness.join(" ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_edited_by_hand_no_longer_matches_its_header() {
        let body = "resource:\n  service.name: iss-distance\n";
        let header = format!("source: x\ndescription: made from the solution; {MARK}{}\n", document_fingerprint(body));
        assert_eq!(check_snapshot(&header, body), Ok(()));
        assert_eq!(check_snapshot(&header, &body.replace('\n', "\r\n")), Ok(()), "line endings do not count");
        let edited = body.replace("iss-distance", "anything");
        assert!(check_snapshot(&header, &edited).unwrap_err().contains("changed by hand"));
        assert!(check_snapshot("source: x\n", body).unwrap_err().contains("no fingerprint"));
    }
}
