//! Exercise 1, Resource: say who is emitting the telemetry. See README.md.

pub mod app;
pub mod telemetry;

lab::service!(telemetry::init, app::router);
