//! The telemetry setup (exercises 1 and 2).

use lab::{Edge, Telemetry};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::resource::EnvResourceDetector;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use opentelemetry_semantic_conventions::resource::{DEPLOYMENT_ENVIRONMENT_NAME, SERVICE_NAME, SERVICE_VERSION};

/// Who is emitting: attached to every span, metric and log record this service exports.
/// The code gives defaults; the operator's standard variables win over them.
pub fn resource() -> Resource {
    // The SDK's own first (`telemetry.sdk.*`, and `unknown_service:<program>` as a last
    // resort name), then the code's defaults over them.
    Resource::builder()
        .with_service_name("iss-distance")
        .with_attributes([
            KeyValue::new(SERVICE_VERSION, env!("CARGO_PKG_VERSION")),
            KeyValue::new(DEPLOYMENT_ENVIRONMENT_NAME, "development"),
        ])
        // Then what the operator set, merged over them (a later value wins): the attributes
        // of `OTEL_RESOURCE_ATTRIBUTES` (`key=value,...`), then `OTEL_SERVICE_NAME`, which
        // ranks above a `service.name` there. (`builder()` read them first too, which alone
        // would let the code's values win.)
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

/// The tracing pipeline: a provider that stamps every span with the resource and hands it
/// to the exporter as soon as it ends (a simple processor: right for a workshop, see README).
pub fn init(edge: Edge) -> Telemetry {
    let tracer_provider = SdkTracerProvider::builder()
        .with_resource(resource())
        // Given: under the checker, ids come from a fixed sequence (stable snapshots).
        .with_id_generator(edge.ids)
        // Given: under the checker, notes what each span carries as it starts (all a sampler sees).
        .with_span_processor(edge.starts)
        .with_simple_exporter(edge.spans)
        .build();
    Telemetry::new(tracer_provider)
}

/// The tracer this service's own code uses: its instrumentation scope says which code
/// made a span (name and version), next to the resource that says which service did.
pub fn tracer(telemetry: &Telemetry) -> SdkTracer {
    let scope = InstrumentationScope::builder("iss-distance").with_version(env!("CARGO_PKG_VERSION")).build();
    telemetry.tracer_provider().tracer_with_scope(scope)
}
