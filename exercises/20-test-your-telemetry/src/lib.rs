//! Exercise 20, Test your telemetry: the service is the lab's reference distance service,
//! fully instrumented; your work is in `tests/telemetry.rs`. See README.md.

pub use lab::reference::{router, telemetry};

lab::service!(lab::reference::telemetry, lab::reference::router);
