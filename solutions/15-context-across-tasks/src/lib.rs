//! Exercise 15, Context across tasks: the OpenTelemetry context carried into `tokio::spawn`,
//! `spawn_blocking` and a channel's background task. See README.md.

pub mod app;
mod given;
pub mod telemetry;

lab::service!(telemetry::init, app::router, position: given::position_router, shutdown: telemetry::shutdown);
