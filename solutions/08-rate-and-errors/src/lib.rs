//! Exercise 8, Rate and errors: count requests and failures with low-cardinality attributes. See README.md.

pub mod app;
mod given;
pub mod telemetry;

lab::service!(telemetry::init, given::router);
