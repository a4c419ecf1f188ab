//! Exercise 3, First span: trace every request the distance service serves. See README.md.

pub mod app;
pub mod telemetry;

lab::service!(telemetry::init, app::router);
