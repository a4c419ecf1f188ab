//! Exercise 20's variant under test (see `build.rs`): the solution's tests with one
//! mistake, or none. Built and run only by `checker/tests/variants.rs`.

// The variant's code is the solution's: the lints apply to it, not to this copy.
#![allow(clippy::all, unused)]

include!(concat!(env!("OUT_DIR"), "/variant_tests.rs"));
