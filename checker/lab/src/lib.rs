//! The lab's support crate: what every exercise and solution links.
//!
//! - [`service`](mod@service): the fixed parts of the ISS distance service (places,
//!   position service, distance maths, errors): everything that is not telemetry.
//! - [`Edge`]: the exporters the learner's telemetry setup builds on, swapped between a
//!   checker run (in-memory) and a real one (stdout or OTLP). Nothing else differs.
//! - [`Telemetry`]: the providers the learner built, handed to the handlers.
//! - [`capture`]: the harness the checker runs inside an exercise's process.
//! - [`reference`]: the instrumented service exercise 20's tests test, and its broken versions.
//!
//! An exercise declares its [`Service`] with one [`service!`] call in its `lib.rs`, and its
//! `main` is one line: `lab::run::<Exercise>()`.

pub mod capture;
pub mod edge;
pub mod reference;
mod regressions;
mod serve;
pub mod service;
mod telemetry;

use std::process::ExitCode;

use axum::Router;

// Re-exported so that the `service!` macro works in any crate.
#[doc(hidden)]
pub use axum;
pub use edge::Edge;
pub use service::{Orbit, PositionClient};
pub use telemetry::{Telemetry, quick_start};

/// A service as an exercise has instrumented it. The harness and a real run call the
/// same methods; only the [`Edge`] given to [`Service::telemetry`] differs.
pub trait Service {
    /// Builds the telemetry pipeline (resource, providers, processors) around `edge`.
    fn telemetry(edge: Edge) -> Telemetry;

    /// The distance service's router, instrumented.
    fn distance(telemetry: &Telemetry, position: PositionClient) -> Router;

    /// The position service's router: the lab's own, uninstrumented, until an exercise
    /// instruments it too.
    fn position(_telemetry: &Telemetry, orbit: Orbit) -> Router {
        service::position::router(orbit)
    }

    /// What the service does with its telemetry on the way out: by default, flush and
    /// shut every provider down.
    fn shutdown(telemetry: &Telemetry) {
        telemetry.shutdown();
    }
}

/// An exercise's `main`: captures for the checker when it asks (`LAB_CAPTURE_OUT` set),
/// otherwise serves for real on localhost.
pub fn run<S: Service>() -> ExitCode {
    match std::env::var_os(capture::CAPTURE_OUT) {
        Some(out) => capture::main::<S>(std::path::Path::new(&out)),
        None => serve::main::<S>(),
    }
}

/// Declares an exercise's service: `pub struct Exercise` implementing [`Service`] with the
/// exercise's own functions.
///
/// ```ignore
/// lab::service!(telemetry::init, app::router);
/// lab::service!(telemetry::init, app::router, position: position::router, shutdown: telemetry::shutdown);
/// ```
#[macro_export]
macro_rules! service {
    ($telemetry:path, $distance:path $(, position: $position:path)? $(, shutdown: $shutdown:path)? $(,)?) => {
        /// This exercise's service, as the checker and a real run start it.
        pub struct Exercise;

        impl $crate::Service for Exercise {
            fn telemetry(edge: $crate::Edge) -> $crate::Telemetry {
                $telemetry(edge)
            }

            fn distance(telemetry: &$crate::Telemetry, position: $crate::PositionClient) -> $crate::axum::Router {
                $distance(telemetry, position)
            }

            $(
                fn position(telemetry: &$crate::Telemetry, orbit: $crate::Orbit) -> $crate::axum::Router {
                    $position(telemetry, orbit)
                }
            )?

            $(
                fn shutdown(telemetry: &$crate::Telemetry) {
                    $shutdown(telemetry)
                }
            )?
        }
    };
}
