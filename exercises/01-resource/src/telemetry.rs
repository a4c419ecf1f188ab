//! The telemetry setup. Exercise 1 is about `resource()`.

use lab::{Edge, Telemetry};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracer;

/// Who is emitting: attached to every span, metric and log record this service exports.
pub fn resource() -> Resource {
    // TODO: describe this service with three attributes:
    //   service.name                = "iss-distance"
    //   service.version             = this crate's version, env!("CARGO_PKG_VERSION")
    //   deployment.environment.name = "workshop"
    // Take the keys from `opentelemetry_semantic_conventions::resource`; never type them.
    Resource::builder().build()
}

/// Given for now: exercise 2 has you build this pipeline yourself.
pub fn init(edge: Edge) -> Telemetry {
    lab::quick_start(resource(), edge)
}

/// Given for now: exercise 2 gives the tracer a proper instrumentation scope.
pub fn tracer(telemetry: &Telemetry) -> SdkTracer {
    telemetry.tracer_provider().tracer("lab-quick-start")
}
