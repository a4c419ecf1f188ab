//! The telemetry setup: exercise 10's logs pipeline in `init()`, first; then what earlier
//! exercises built (the resource of exercise 1, the tracer and its scope of exercise 2, the
//! meter of exercise 8).

use lab::{Edge, Telemetry};
use opentelemetry::metrics::{Meter, MeterProvider as _};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::resource::EnvResourceDetector;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use opentelemetry_semantic_conventions::resource::{DEPLOYMENT_ENVIRONMENT_NAME, SERVICE_NAME, SERVICE_VERSION};

/// The tracing pipeline, and the metrics and logs pipelines beside it.
pub fn init(edge: Edge) -> Telemetry {
    let tracer_provider = SdkTracerProvider::builder()
        .with_resource(resource())
        // Given: under the checker, ids come from a fixed sequence (stable snapshots).
        .with_id_generator(edge.ids)
        // Given: under the checker, notes what each span carries as it starts (all a sampler sees).
        .with_span_processor(edge.starts)
        .with_simple_exporter(edge.spans)
        .build();
    // Metrics are aggregated in the process (a sum per counter and attribute set) and
    // exported now and then, not per measurement: a reader collects them every 60 s
    // (`OTEL_METRIC_EXPORT_INTERVAL`, in ms), when flushed, and at shutdown.
    let meter_provider = SdkMeterProvider::builder()
        .with_resource(resource())
        .with_reader(PeriodicReader::builder(edge.metrics).build())
        .build();
    // TODO: send the service's logs to OpenTelemetry. `app.rs` already logs the Rust way,
    // with `tracing` and `log`, but so far those records go nowhere. Three pieces, each in
    // a README section: a logger provider beside the other two, handed to `Telemetry`
    // ("1. A logger provider"); a bridge for `tracing` records, with a filter that keeps
    // the telemetry stack's own logs out, and beside it a layer that keeps the SDK's
    // warnings visible on stderr ("2. The tracing bridge, and its filter"); and a bridge
    // for `log` records ("3. The `log` bridge").
    Telemetry::new(tracer_provider).with_meter_provider(meter_provider)
}

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

/// The instrumentation scope of this service's own code, for its tracer and its meter.
fn scope() -> InstrumentationScope {
    InstrumentationScope::builder("iss-distance").with_version(env!("CARGO_PKG_VERSION")).build()
}

/// The tracer this service's own code uses: its instrumentation scope says which code
/// made a span (name and version), next to the resource that says which service did.
pub fn tracer(telemetry: &Telemetry) -> SdkTracer {
    telemetry.tracer_provider().tracer_with_scope(scope())
}

/// The meter this service's own code makes its instruments with, under the same scope.
pub fn meter(telemetry: &Telemetry) -> Meter {
    telemetry.meter_provider().meter_with_scope(scope())
}
