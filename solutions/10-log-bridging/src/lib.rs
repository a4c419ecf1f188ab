//! Exercise 10, Log bridging: `tracing` and `log` records exported as OpenTelemetry logs. See README.md.

pub mod app;
pub mod telemetry;

lab::service!(telemetry::init, app::router);
