//! The telemetry setup. Exercise 1 is about `resource()`.

use lab::{Edge, Telemetry};
use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::resource::EnvResourceDetector;
use opentelemetry_sdk::trace::SdkTracer;
use opentelemetry_semantic_conventions::resource::SERVICE_NAME;

/// Who is emitting: attached to every span, metric and log record this service exports.
/// The code gives defaults; the operator's standard variables win over them.
pub fn resource() -> Resource {
    // The SDK's own first (`telemetry.sdk.*`, and `unknown_service:<program>` as a last
    // resort name), then the code's defaults over them.
    Resource::builder()
        // TODO: the code's defaults go here, before what the operator set: the service's
        // name, its version and the environment it runs in, three string attributes with
        // the semantic conventions' keys. README: "What to do" has the keys and values.
        // Given: then what the operator set, merged over them (a later value wins): the
        // attributes of `OTEL_RESOURCE_ATTRIBUTES` (`key=value,...`), then `OTEL_SERVICE_NAME`,
        // which ranks above a `service.name` there. (`builder()` read them first too, which
        // alone would let the code's values win.)
        .with_detector(Box::new(EnvResourceDetector::new()))
        .with_attributes(service_name_from_env())
        .build()
}

/// `service.name` from `OTEL_SERVICE_NAME`, when the operator set it. (The SDK's own
/// `SdkProvidedResourceDetector` reads it too, but when it is unset falls back to
/// `unknown_service:<program>`, which would replace the code's name.)
fn service_name_from_env() -> Option<KeyValue> {
    std::env::var("OTEL_SERVICE_NAME")
        .ok()
        .filter(|name| !name.is_empty())
        .map(|name| KeyValue::new(SERVICE_NAME, name))
}

/// Given for now: exercise 2 has you build this pipeline yourself.
pub fn init(edge: Edge) -> Telemetry {
    lab::quick_start(resource(), edge)
}

/// Given for now: exercise 2 gives the tracer a proper instrumentation scope.
pub fn tracer(telemetry: &Telemetry) -> SdkTracer {
    telemetry.tracer_provider().tracer("lab-quick-start")
}
