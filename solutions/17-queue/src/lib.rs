//! Exercise 17, A queue: producer and consumer spans, the context in the message's
//! headers, a span link. See README.md.

pub mod app;
mod given;
mod jobs;
mod queue;
pub mod telemetry;

lab::service!(telemetry::init, app::router, position: given::position_router, shutdown: telemetry::shutdown);
