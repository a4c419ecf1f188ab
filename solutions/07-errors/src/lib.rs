//! Exercise 7, Errors: record failures on their spans, and still return them. See README.md.

pub mod app;
mod given;
pub mod telemetry;

lab::service!(telemetry::init, given::router);
