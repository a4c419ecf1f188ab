//! Exercise 11, Propagation: one trace across two services, through the W3C `traceparent` header. See README.md.

pub mod app;
mod given;
pub mod telemetry;

lab::service!(telemetry::init, given::router, position: app::position_router);
