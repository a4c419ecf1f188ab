//! Exercise 14, Tracing idiom: `#[tracing::instrument]` and tracing-opentelemetry. See README.md.

pub mod app;
mod given;
pub mod telemetry;

lab::service!(telemetry::init, app::router, position: given::position_router, shutdown: telemetry::shutdown);
