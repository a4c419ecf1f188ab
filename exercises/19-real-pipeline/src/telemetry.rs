//! The telemetry setup (exercises 1 and 2, the metrics pipeline of exercise 8, the logs
//! pipeline of exercise 10, the position service's provider and the W3C propagator of
//! exercise 11, the batch processors, sampler and shutdown of exercise 13), and since
//! exercise 14 the bridge that makes `tracing` spans OpenTelemetry spans.

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
use opentelemetry_sdk::trace::{Config, Sampler, SdkTracer, SdkTracerProvider, ShouldSample};
use opentelemetry_semantic_conventions::resource::{DEPLOYMENT_ENVIRONMENT_NAME, SERVICE_NAME, SERVICE_VERSION};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{FilterExt as _, LevelFilter, Targets, filter_fn};
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

/// The standard variable that names the sampler (`always_on`, `parentbased_traceidratio`,
/// ...). Its argument, `OTEL_TRACES_SAMPLER_ARG`, is read according to it, never alone.
const OTEL_TRACES_SAMPLER: &str = "OTEL_TRACES_SAMPLER";
/// The share of new traces the code's default sampler keeps: half.
const DEFAULT_SAMPLING_RATIO: f64 = 0.5;

/// The sampler of both services: the code's default, or the operator's choice.
///
/// The default: a new trace (no parent) is kept with probability 0.5, decided from its
/// trace id; a span with a parent follows its parent's decision, local or remote (the
/// `traceparent` flags), so that traces are whole or absent.
///
/// With `OTEL_TRACES_SAMPLER` set, the operator chose: the sampler the SDK reads from it and
/// `OTEL_TRACES_SAMPLER_ARG`, as the specification says (`Config::default()` reads both; a
/// provider built without `with_sampler` would use it). The same binary then keeps every
/// trace in a test environment (`parentbased_always_on`) and 1 in 100 in production
/// (`parentbased_traceidratio` with `0.01`), and a bad value falls back, with a warning,
/// rather than stopping the service.
fn sampler() -> Box<dyn ShouldSample> {
    if std::env::var_os(OTEL_TRACES_SAMPLER).is_some() {
        return Config::default().sampler;
    }
    Box::new(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(DEFAULT_SAMPLING_RATIO))))
}

/// The tracing pipeline, and the metrics and logs pipelines beside it.
pub fn init(edge: Edge) -> Telemetry {
    // Given: the SDK reads the `OTEL_*` variables while the providers are built, before the
    // global subscriber exists; meanwhile its warnings about them reach stderr through a
    // subscriber for this thread alone, until the end of `init`.
    let _building = tracing::subscriber::set_default(tracing_subscriber::registry().with(diagnostics()));
    // TODO (1 of 2): exporters of your own. Until now the lab handed them over at the edge
    // (`edge.spans`, ...): in memory under the checker, and built by the lab for a real run.
    // A real service builds OTLP exporters itself, four here (the distance service's spans,
    // the position service's, metrics, log records), from the standard variables the
    // operator sets (`OTEL_EXPORTER_OTLP_ENDPOINT`, `_HEADERS`, `_TIMEOUT`, and `_PROTOCOL`,
    // which chooses HTTP or gRPC): read them with the builders, never in code. One that
    // cannot be built is said on stderr, and the service starts without it. Under the
    // checker, only what reaches the collector those variables name is graded, over both
    // protocols. README: "1. The exporters".
    let (spans, position_spans, metrics, logs) = (edge.spans, edge.position_spans, edge.metrics, edge.logs);
    let tracer_provider = SdkTracerProvider::builder()
        .with_resource(resource())
        // Given: under the checker, ids come from a fixed sequence (stable snapshots, and a
        // fixed set of traces the ratio sampler keeps).
        .with_id_generator(edge.ids)
        // Given: under the checker, notes what each span carries as it starts (all a sampler sees).
        .with_span_processor(edge.starts)
        .with_sampler(sampler())
        // A batch processor: its own thread does the network I/O, so no request waits for
        // the collector, and the blocking HTTP client never runs on a tokio worker.
        .with_batch_exporter(spans)
        .build();
    // The periodic reader collects every 60 s (`OTEL_METRIC_EXPORT_INTERVAL`) and at
    // shutdown, on a thread of its own too.
    let meter_provider = SdkMeterProvider::builder()
        .with_resource(resource())
        .with_reader(PeriodicReader::builder(metrics).build())
        .build();
    let logger_provider = SdkLoggerProvider::builder().with_resource(resource()).with_batch_exporter(logs).build();
    install_subscriber(&tracer_provider, &logger_provider);
    let position_tracer_provider = SdkTracerProvider::builder()
        .with_resource(service_resource(POSITION_SERVICE))
        .with_id_generator(edge.position_ids)
        .with_span_processor(edge.position_starts)
        .with_sampler(sampler())
        .with_batch_exporter(position_spans)
        .build();
    // TODO (2 of 2): the places library (`catalog_lookup`, given) traces itself with
    // `global::tracer(..)`: it never sees this `Telemetry`. Register the providers that
    // library instrumentation reads. README: "2. The global providers".
    global::set_text_map_propagator(TraceContextPropagator::new());
    Telemetry::new(tracer_provider)
        .with_meter_provider(meter_provider)
        .with_logger_provider(logger_provider)
        .with_position_tracer_provider(position_tracer_provider)
}

/// What the service does with its telemetry on its way out, after its last request
/// (`lib.rs` hands it to the lab: `shutdown: telemetry::shutdown`; a real run calls it on
/// Ctrl-C). A batch processor holds up to 5 s of spans: shutting a provider down exports
/// what it still holds, then stops it. Without this, a service that exits loses its last
/// spans, logs and metrics, the ones about what happened just before it stopped.
pub fn shutdown(telemetry: &Telemetry) {
    let providers = [
        ("spans", telemetry.tracer_provider().shutdown()),
        ("position service spans", telemetry.position_tracer_provider().shutdown()),
        ("metrics", telemetry.meter_provider().shutdown()),
        ("log records", telemetry.logger_provider().shutdown()),
    ];
    // Say what `shutdown()` reports: in 0.33, a timeout, and a failed last export of metrics.
    // A span or log export that failed (a collector that is down) is not in its result: the
    // SDK only logs it, which the diagnostics layer keeps visible on stderr.
    for (signal, result) in providers {
        if let Err(e) = result {
            eprintln!("telemetry: the last {signal} may be lost: {e}");
        }
    }
}

/// The SDK's own warnings (an `OTEL_*` value it cannot use, an export that failed, a full
/// queue), on stderr. They are `tracing` events under its crates' names (`opentelemetry_sdk`,
/// `opentelemetry-otlp`, ...; `Targets` matches by prefix), which the bridge's filter keeps
/// off; and `shutdown()` does not report a failed span or log export: this is the only place
/// it shows. A layer of their own, apart from the bridge, so telemetry about telemetry never
/// loops back into the pipeline.
fn diagnostics<S>() -> impl Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(Targets::new().with_target("opentelemetry", LevelFilter::WARN))
}

/// Connects `tracing` to OpenTelemetry, both ways it is used here: its spans become the
/// distance service's spans (tracing-opentelemetry), its events become log records (the
/// logs bridge of exercise 10). And the `log` crate's records become log records too.
///
/// A process has one global `tracing` subscriber and one global `log` logger, so this runs
/// once per process (a real run, or one capture of the checker).
fn install_subscriber(tracer_provider: &SdkTracerProvider, logger_provider: &SdkLoggerProvider) {
    // Nothing from the telemetry stack itself, at any level: the SDK and the exporters'
    // network crates have `tracing` spans and events too. Let them through and the pipeline
    // exports its own chatter, span after span, record after record. And INFO and above from
    // everything else (`#[instrument]` makes INFO spans by default).
    let ours = || {
        Targets::new().with_default(LevelFilter::INFO).with_targets(
            ["opentelemetry", "h2", "hyper", "tonic", "tower", "reqwest"].map(|target| (target, LevelFilter::OFF)),
        )
    };
    // The spans bridge: each `tracing` span becomes an OpenTelemetry span of the tracer it
    // is given (so of the distance service's provider: its resource, its sampler, its batch
    // processor), with the same scope as before. By default it also adds what OpenTelemetry
    // has other conventions or no use for: the code location (`code.*`), the thread
    // (`thread.*`), busy and idle times (`busy_ns`, `idle_ns`) and the `tracing` target.
    let tracer = tracer_provider.tracer_with_scope(scope(DISTANCE_SERVICE));
    let spans = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_location(false)
        .with_threads(false)
        .with_tracked_inactivity(false)
        .with_target(false)
        // Spans only. The bridge would make every `tracing` event (every `info!`) an event of
        // the span it happened in, a copy of the log record with `level` and `target`
        // attributes: here events are log records, and span events are added explicitly.
        .with_filter(ours().and(filter_fn(|metadata| metadata.is_span())));
    let logs = OpenTelemetryTracingBridge::new(logger_provider).with_filter(ours());
    // `set_global_default`, not `.init()`: with tracing-subscriber's default features,
    // `init` would also make `log` records into `tracing` events (`tracing-log`), and the
    // `log` bridge below could not be installed.
    if let Err(e) = tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(spans).with(logs).with(diagnostics()),
    ) {
        eprintln!("tracing is not bridged: {e}");
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

/// The meter this service's own code makes its instruments with, under the same scope.
pub fn meter(telemetry: &Telemetry) -> Meter {
    telemetry.meter_provider().meter_with_scope(scope(DISTANCE_SERVICE))
}

/// The distance service's tracer for the spans written with the OpenTelemetry API (the
/// queue's, `jobs.rs`): the same provider and scope as the `tracing` bridge's.
pub fn tracer(telemetry: &Telemetry) -> SdkTracer {
    telemetry.tracer_provider().tracer_with_scope(scope(DISTANCE_SERVICE))
}

/// The position service's tracer, from its own provider.
pub fn position_tracer(telemetry: &Telemetry) -> SdkTracer {
    telemetry.position_tracer_provider().tracer_with_scope(scope(POSITION_SERVICE))
}
