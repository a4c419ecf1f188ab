//! The variant under test (see `build.rs`): a solution with one plausible mistake, or a
//! stub. Used only by `checker/tests/variants.rs`.

// The variant's code is the solutions' code: the lints apply to them, not to this copy.
#![allow(clippy::all, unused)]

include!(concat!(env!("OUT_DIR"), "/variant.rs"));
