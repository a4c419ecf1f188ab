//! Exercise 9, Duration and saturation: a request duration histogram and an in-flight requests counter. See README.md.

pub mod app;
mod given;
pub mod telemetry;

lab::service!(telemetry::init, given::router);
