//! The telemetry setup: exercise 10's logs pipeline in `init()`, first; then what earlier
//! exercises built (the resource of exercise 1, the tracer and its scope of exercise 2, the
//! meter of exercise 8).

use lab::{Edge, Telemetry};
use opentelemetry::metrics::{Meter, MeterProvider as _};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_appender_log::OpenTelemetryLogBridge;
use opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::resource::EnvResourceDetector;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use opentelemetry_semantic_conventions::resource::{DEPLOYMENT_ENVIRONMENT_NAME, SERVICE_NAME, SERVICE_VERSION};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::prelude::*;

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
    // The logs pipeline: the resource, and a simple processor that exports each record as
    // it is emitted, like the spans'.
    let logger_provider =
        SdkLoggerProvider::builder().with_resource(resource()).with_simple_exporter(edge.logs).build();
    bridge_logs(&logger_provider);
    Telemetry::new(tracer_provider).with_meter_provider(meter_provider).with_logger_provider(logger_provider)
}

/// Sends the service's log records, written the Rust way with `tracing` and `log`, to the
/// logger provider: the bridges (appenders) turn each one into an OpenTelemetry log record.
///
/// A process has one global `tracing` subscriber and one global `log` logger, so this runs
/// once per process (a real run, or one capture of the checker).
fn bridge_logs(logger_provider: &SdkLoggerProvider) {
    // What the bridge lets through: INFO and above, and nothing at all from the telemetry
    // stack itself. The SDK and the exporters' network crates log with `tracing` too: let
    // them through and the pipeline exports its own chatter, record after record.
    let filter = Targets::new().with_default(LevelFilter::INFO).with_targets(
        ["opentelemetry", "h2", "hyper", "tonic", "tower", "reqwest"].map(|target| (target, LevelFilter::OFF)),
    );
    let tracing_bridge = OpenTelemetryTracingBridge::new(logger_provider).with_filter(filter);
    // Off the bridge, but not out of sight: the SDK's own warnings (an `OTEL_*` value it
    // cannot use, an export that failed, a full queue) are `tracing` events under its crates'
    // names (`opentelemetry_sdk`, `opentelemetry-otlp`, ...; `Targets` matches by prefix).
    // `shutdown()` does not report a failed span or log export: this is the only place it
    // shows. A layer of their own prints them on stderr, apart from the bridge, so telemetry
    // about telemetry never loops back into the pipeline.
    let diagnostics = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(Targets::new().with_target("opentelemetry", LevelFilter::WARN));
    // `set_global_default`, not `.init()`: with tracing-subscriber's default features,
    // `init` would also make `log` records into `tracing` events (`tracing-log`), and the
    // `log` bridge below could not be installed.
    if let Err(e) =
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(tracing_bridge).with(diagnostics))
    {
        eprintln!("tracing records are not bridged: {e}");
    }
    // The `log` crate has a bridge of its own. `log` records nothing until its maximum
    // level is set: it is `Off` by default.
    match log::set_boxed_logger(Box::new(OpenTelemetryLogBridge::new(logger_provider))) {
        Ok(()) => log::set_max_level(log::LevelFilter::Info),
        Err(e) => eprintln!("log records are not bridged: {e}"),
    }
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
