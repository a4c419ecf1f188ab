//! The telemetry setup (exercises 1 and 2, the metrics pipeline of exercise 8, the logs
//! pipeline of exercise 10, the position service's provider and the W3C propagator of
//! exercise 11), and since exercise 13, ready to ship: batch processors, flushed on the way
//! out, a sampler, and settings from the standard `OTEL_*` variables.

use lab::{Edge, Telemetry};
use opentelemetry::metrics::{Meter, MeterProvider as _};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::{InstrumentationScope, global};
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Config, Sampler, SdkTracer, SdkTracerProvider, ShouldSample};

use tracing_subscriber::prelude::*;

use crate::given::{DISTANCE_SERVICE, POSITION_SERVICE, bridge_logs, diagnostics, resource, service_resource};

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
    let tracer_provider = SdkTracerProvider::builder()
        .with_resource(resource())
        // Given: under the checker, ids come from a fixed sequence (stable snapshots, and a
        // fixed set of traces the ratio sampler keeps).
        .with_id_generator(edge.ids)
        // Given: under the checker, notes what each span carries as it starts (all a sampler sees).
        .with_span_processor(edge.starts)
        .with_sampler(sampler())
        // Spans wait in a queue and leave in batches, from a thread of the processor's own,
        // every 5 s (`OTEL_BSP_SCHEDULE_DELAY`, in ms, which the SDK reads itself) or when
        // 512 are waiting: the request never waits for the exporter.
        .with_batch_exporter(edge.spans)
        .build();
    // Metrics are aggregated in the process (a sum per counter and attribute set) and
    // exported now and then, not per measurement: a reader collects them every 60 s
    // (`OTEL_METRIC_EXPORT_INTERVAL`, in ms), when flushed, and at shutdown.
    let meter_provider = SdkMeterProvider::builder()
        .with_resource(resource())
        .with_reader(PeriodicReader::builder(edge.metrics).build())
        .build();
    // The logs pipeline: the resource, and a batch processor too (every second,
    // `OTEL_BLRP_SCHEDULE_DELAY`).
    let logger_provider = SdkLoggerProvider::builder().with_resource(resource()).with_batch_exporter(edge.logs).build();
    bridge_logs(&logger_provider);
    // The position service is another service: in production, another process with its own
    // setup. Here both run in one process, so this function builds its pipeline too: a
    // provider of its own, because a provider stamps one resource (one `service.name`) on
    // everything it exports, with its own exporter, and its own ids (`edge.position_ids`: a
    // sequence of its own under the checker, random for real); its trace ids come from the
    // callers, through the `traceparent` header.
    // The same sampler: parent-based, it keeps exactly the calls whose caller kept its trace.
    let position_tracer_provider = SdkTracerProvider::builder()
        .with_resource(service_resource(POSITION_SERVICE))
        .with_id_generator(edge.position_ids)
        .with_span_processor(edge.position_starts)
        .with_sampler(sampler())
        .with_batch_exporter(edge.position_spans)
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
