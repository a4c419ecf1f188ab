//! Exercise 2, Tracer provider: build the tracing pipeline yourself. See README.md.

pub mod app;
pub mod telemetry;

lab::service!(telemetry::init, app::router);
