//! The lab itself: every starter fails, every solution passes (builds every exercise).
//!
//! It runs the reference solutions, so the student edition, which has them only sealed,
//! leaves this file out (`checker/src/edition.rs`, `LEFT_OUT`).

use assert_cmd::Command;

#[test]
fn verify_passes_on_the_lab() {
    let out = Command::cargo_bin("checker")
        .unwrap()
        .env_remove("LAB_ROOT")
        .env("NO_COLOR", "1")
        .arg("verify")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.lines().last().unwrap().starts_with("verify: "), "{text}");
}
