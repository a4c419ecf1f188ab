//! Exercise 11, Propagation: one trace across two services, through the W3C `traceparent` header. See README.md.

pub mod app;
pub mod telemetry;

lab::service!(telemetry::init, app::router, position: app::position_router);
