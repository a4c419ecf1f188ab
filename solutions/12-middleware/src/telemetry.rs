//! The telemetry setup (exercises 1 and 2, the metrics pipeline of exercise 8, the logs
//! pipeline of exercise 10), and since exercise 11 the position service's own tracer
//! provider and the W3C propagator.

use lab::{Edge, Telemetry};
use opentelemetry::metrics::{Meter, MeterProvider as _};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::{InstrumentationScope, KeyValue, global};
use opentelemetry_appender_log::OpenTelemetryLogBridge;
use opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::resource::EnvResourceDetector;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use opentelemetry_semantic_conventions::resource::{DEPLOYMENT_ENVIRONMENT_NAME, SERVICE_NAME, SERVICE_VERSION};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::prelude::*;

/// The distance service's name: its resource's `service.name` and its instrumentation scope.
const DISTANCE_SERVICE: &str = "iss-distance";
/// The position service's name, for its own resource and scope.
const POSITION_SERVICE: &str = "iss-position";

/// Who is emitting: attached to every span, metric and log record this service exports.
/// The code gives defaults; the operator's standard variables win over them.
pub fn resource() -> Resource {
    service_resource(DISTANCE_SERVICE)
}

/// A service's resource: its name, and the version and environment it shares with the other,
/// as defaults that the operator's standard variables win over.
fn service_resource(name: &'static str) -> Resource {
    // The SDK's own first (`telemetry.sdk.*`, and `unknown_service:<program>` as a last
    // resort name), then the code's defaults over them.
    Resource::builder()
        .with_service_name(name)
        .with_attributes([
            KeyValue::new(SERVICE_VERSION, env!("CARGO_PKG_VERSION")),
            KeyValue::new(DEPLOYMENT_ENVIRONMENT_NAME, "development"),
        ])
        // Then what the operator set, merged over them (a later value wins): the attributes
        // of `OTEL_RESOURCE_ATTRIBUTES` (`key=value,...`), then `OTEL_SERVICE_NAME`, which
        // ranks above a `service.name` there. (`builder()` read them first too, which alone
        // would let the code's values win.)
        .with_detector(Box::new(EnvResourceDetector::new()))
        // `OTEL_SERVICE_NAME` names this process's own service, the distance one (the
        // position service stands for another process, which has variables of its own).
        .with_attributes(service_name_from_env().filter(|_| name == DISTANCE_SERVICE))
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
    // The position service is another service: in production, another process with its own
    // setup. Here both run in one process, so this function builds its pipeline too: a
    // provider of its own, because a provider stamps one resource (one `service.name`) on
    // everything it exports, with its own exporter, and its own ids (`edge.position_ids`: a
    // sequence of its own under the checker, random for real); its trace ids come from the
    // callers, through the `traceparent` header.
    let position_tracer_provider = SdkTracerProvider::builder()
        .with_resource(service_resource(POSITION_SERVICE))
        .with_id_generator(edge.position_ids)
        .with_span_processor(edge.position_starts)
        .with_simple_exporter(edge.position_spans)
        .build();
    // How a span context travels between services: the W3C Trace Context format (the
    // `traceparent` header), registered once for the whole process, where every piece of
    // code that sends or receives a request finds it (`global::get_text_map_propagator`).
    // Until one is registered, the global propagator is a no-op that injects nothing.
    global::set_text_map_propagator(TraceContextPropagator::new());
    Telemetry::new(tracer_provider)
        .with_meter_provider(meter_provider)
        .with_logger_provider(logger_provider)
        .with_position_tracer_provider(position_tracer_provider)
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

/// The instrumentation scope of a service's own code, for its tracer and its meter.
fn scope(name: &'static str) -> InstrumentationScope {
    InstrumentationScope::builder(name).with_version(env!("CARGO_PKG_VERSION")).build()
}

/// The tracer this service's own code uses: its instrumentation scope says which code
/// made a span (name and version), next to the resource that says which service did.
pub fn tracer(telemetry: &Telemetry) -> SdkTracer {
    telemetry.tracer_provider().tracer_with_scope(scope(DISTANCE_SERVICE))
}

/// The meter this service's own code makes its instruments with, under the same scope.
pub fn meter(telemetry: &Telemetry) -> Meter {
    telemetry.meter_provider().meter_with_scope(scope(DISTANCE_SERVICE))
}

/// The position service's tracer, from its own provider.
pub fn position_tracer(telemetry: &Telemetry) -> SdkTracer {
    telemetry.position_tracer_provider().tracer_with_scope(scope(POSITION_SERVICE))
}
