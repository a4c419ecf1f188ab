//! Exercise 6, Events: span events with attributes at meaningful moments. See README.md.

pub mod app;
pub mod telemetry;

lab::service!(telemetry::init, app::router);
