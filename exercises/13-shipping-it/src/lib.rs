//! Exercise 13, Shipping it: batch processors flushed on shutdown, a parent-based ratio sampler, `OTEL_*` settings.

pub mod app;
mod given;
pub mod telemetry;

lab::service!(telemetry::init, app::router, position: app::position_router, shutdown: telemetry::shutdown);
