//! Exercise 16, Baggage and metric views: W3C baggage beside the trace context, and views
//! on instruments the code does not own. See README.md.

pub mod app;
mod given;
pub mod telemetry;

lab::service!(telemetry::init, app::router, position: given::position_router, shutdown: telemetry::shutdown);
