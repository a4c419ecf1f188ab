//! Exercise 19, The real pipeline: the service builds its own OTLP exporters from the
//! standard variables and registers the global providers. See README.md.

pub mod app;
mod given;
mod jobs;
mod queue;
pub mod telemetry;

lab::service!(telemetry::init, app::router, position: given::position_router, shutdown: telemetry::shutdown);
