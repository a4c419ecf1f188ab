//! Exercise 18, A database: client spans and the duration histogram of the database
//! conventions, around SQLite queries. See README.md.

pub mod app;
mod db;
mod given;
pub mod telemetry;

lab::service!(telemetry::init, app::router, position: given::position_router, shutdown: telemetry::shutdown);
