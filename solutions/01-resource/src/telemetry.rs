//! The telemetry setup. Exercise 1 is about `resource()`.

use lab::{Edge, Telemetry};
use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracer;
use opentelemetry_semantic_conventions::resource::{DEPLOYMENT_ENVIRONMENT_NAME, SERVICE_VERSION};

/// Who is emitting: attached to every span, metric and log record this service exports.
pub fn resource() -> Resource {
    Resource::builder()
        .with_service_name("iss-distance")
        .with_attributes([
            KeyValue::new(SERVICE_VERSION, env!("CARGO_PKG_VERSION")),
            KeyValue::new(DEPLOYMENT_ENVIRONMENT_NAME, "workshop"),
        ])
        .build()
}

/// Given for now: exercise 2 has you build this pipeline yourself.
pub fn init(edge: Edge) -> Telemetry {
    lab::quick_start(resource(), edge)
}

/// Given for now: exercise 2 gives the tracer a proper instrumentation scope.
pub fn tracer(telemetry: &Telemetry) -> SdkTracer {
    telemetry.tracer_provider().tracer("lab-quick-start")
}
