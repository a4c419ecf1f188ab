//! Exercise 14, Tracing idiom: `#[tracing::instrument]` and tracing-opentelemetry. See README.md.

pub mod app;
pub mod telemetry;

lab::service!(telemetry::init, app::router, position: app::position_router, shutdown: telemetry::shutdown);
