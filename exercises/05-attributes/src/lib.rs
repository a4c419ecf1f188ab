//! Exercise 5, Attributes: typed `iss.*` attributes and HTTP semantic conventions. See README.md.

pub mod app;
pub mod telemetry;

lab::service!(telemetry::init, app::router);
