//! Exercise 12, Middleware: one layer instruments every route, named after the matched route. See README.md.

pub mod app;
mod given;
pub mod telemetry;

lab::service!(telemetry::init, app::router, position: app::position_router);
