//! Exercise 4, Nested spans: child spans for the outgoing call and the computation. See README.md.

pub mod app;
pub mod telemetry;

lab::service!(telemetry::init, app::router);
