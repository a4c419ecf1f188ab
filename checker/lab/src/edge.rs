//! The edge: the only part of the telemetry pipeline that differs between a checker run
//! and a real one.
//!
//! The learner's setup code receives an [`Edge`] and builds its providers around its
//! exporters, exactly as it would around any exporter. Under the checker the exporters are
//! the SDK's in-memory ones and ids come from a fixed sequence; run for real they print to
//! stdout (opentelemetry-stdout) or, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, send OTLP.
//!
//! OTLP exporters do network I/O, and the learner's processor may call them from anywhere:
//! a simple processor exports on the thread that ends the span (a tokio worker, blocked in
//! `futures_executor::block_on`), a batch processor or a `PeriodicReader` on a thread of its
//! own. So the OTLP sinks never export on the caller's thread: see [`Otlp`].

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use opentelemetry::Context;
use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::logs::{InMemoryLogExporter, LogBatch, LogExporter};
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, Temporality};
use opentelemetry_sdk::trace::{
    IdGenerator, InMemorySpanExporter, RandomIdGenerator, SpanData, SpanExporter, SpanProcessor,
};

/// The exporters (and id generator) a service's telemetry setup builds on.
///
/// The lab hands one to the exercise's `telemetry::init(edge: Edge)`; each field goes to
/// the builder of one provider, e.g.
/// `SdkTracerProvider::builder().with_id_generator(edge.ids).with_simple_exporter(edge.spans)`.
/// Under the checker they are in-memory exporters and fixed ids; run for real, stdout or
/// OTLP exporters and random ids. Exercise 19 builds its own OTLP exporters instead of
/// these sinks.
#[derive(Debug)]
pub struct Edge {
    /// Give this to a tracer provider (`with_simple_exporter`, `with_batch_exporter`).
    pub spans: SpanSink,
    /// A second span exporter, for the position service's own tracer provider once you
    /// instrument it (a provider stamps its one resource on everything it exports, so two
    /// services with two names need two providers, each with its exporter).
    pub position_spans: SpanSink,
    /// Give this to a `PeriodicReader`.
    pub metrics: MetricSink,
    /// Give this to a logger provider (`with_simple_exporter`, `with_batch_exporter`).
    pub logs: LogSink,
    /// Give this to the tracer provider (`with_id_generator`): a fixed sequence under the
    /// checker (stable snapshots, reproducible sampling), random ids for real.
    pub ids: Ids,
    /// The same for the position service's own tracer provider: a sequence of its own, so
    /// that its ids never meet the distance service's, and its sampling is reproducible.
    pub position_ids: Ids,
    /// Give this to the tracer provider (`with_span_processor`): under the checker it notes
    /// which attributes each span carried when it started, which is all a sampler sees (the
    /// conventions want some there at creation); run for real it does nothing.
    pub starts: SpanStarts,
    /// The same for the position service's own tracer provider.
    pub position_starts: SpanStarts,
}

/// What the checker reads back after the scenario ran.
#[derive(Debug, Clone, Default)]
pub struct Captured {
    pub spans: MemorySpans,
    pub position_spans: MemorySpans,
    pub metrics: InMemoryMetricExporter,
    pub logs: MemoryLogs,
    /// Whether the metric exporter was shut down (the others keep theirs).
    pub metrics_shut_down: ShutDown,
    /// The attributes each span had when it started (both services' providers).
    pub starts: SpanStarts,
}

/// Whether `shutdown` was called on an in-memory exporter: a provider's shutdown shuts
/// its processors' or reader's exporter down, so this says whether the service's way out
/// reached that pipeline (and rules "never shut down" out as a cause).
#[derive(Debug, Clone, Default)]
pub struct ShutDown(Arc<AtomicBool>);

impl ShutDown {
    fn mark(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn happened(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// How many items each exporter had received at one moment (see [`Captured::exported`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Exported {
    pub spans: usize,
    pub position_spans: usize,
    pub metric_exports: usize,
    pub logs: usize,
}

impl Captured {
    /// What has reached the exporters so far.
    pub fn exported(&self) -> Exported {
        Exported {
            spans: self.spans.finished_spans().len(),
            position_spans: self.position_spans.finished_spans().len(),
            metric_exports: self.metrics.get_finished_metrics().map(|m| m.len()).unwrap_or_default(),
            logs: self.logs.emitted().len(),
        }
    }

    /// By signal (the document's names), whether its exporter was shut down.
    pub fn shut_down(&self) -> std::collections::BTreeMap<String, bool> {
        [
            ("traces", self.spans.shut_down.happened()),
            ("position traces", self.position_spans.shut_down.happened()),
            ("metrics", self.metrics_shut_down.happened()),
            ("logs", self.logs.1.happened()),
        ]
        .into_iter()
        .map(|(signal, done)| (signal.to_string(), done))
        .collect()
    }
}

impl Edge {
    /// In-memory exporters and sequential ids, plus the handles to read them.
    pub fn capture() -> (Edge, Captured) {
        let captured = Captured { starts: SpanStarts::noting(), ..Captured::default() };
        let edge = Edge {
            spans: SpanSink::Memory(captured.spans.clone()),
            position_spans: SpanSink::Memory(captured.position_spans.clone()),
            metrics: MetricSink::Memory(captured.metrics.clone(), captured.metrics_shut_down.clone()),
            logs: LogSink::Memory(captured.logs.clone()),
            ids: Ids::Sequence(SequenceIds::default()),
            position_ids: Ids::Sequence(SequenceIds::starting_at(POSITION_IDS_START)),
            starts: captured.starts.clone(),
            // One record for both: their ids come from sequences that never meet.
            position_starts: captured.starts.clone(),
        };
        (edge, captured)
    }

    /// Stdout exporters, or OTLP ones when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (HTTP/protobuf
    /// unless `OTEL_EXPORTER_OTLP_PROTOCOL=grpc`). Works inside or outside a tokio runtime.
    ///
    /// OTLP exporters that cannot be built (an invalid endpoint) are said on stderr, and the
    /// edge writes to stdout instead: a telemetry setting never stops the service (and from
    /// exercise 19 on, the service builds exporters of its own, which say their own errors).
    pub fn from_env() -> Result<Edge, String> {
        let Some(protocol) = otlp_protocol() else { return Ok(Edge::stdout()) };
        Ok(Edge::otlp(protocol).unwrap_or_else(|e| {
            eprintln!("lab: {e}; the edge's exporters write to stdout instead");
            Edge::stdout()
        }))
    }

    fn stdout() -> Edge {
        Edge {
            position_ids: Ids::Random(RandomIdGenerator::default()),
            starts: SpanStarts::default(),
            position_starts: SpanStarts::default(),
            spans: SpanSink::Stdout(opentelemetry_stdout::SpanExporter::default()),
            position_spans: SpanSink::Stdout(opentelemetry_stdout::SpanExporter::default()),
            metrics: MetricSink::Stdout(opentelemetry_stdout::MetricExporter::default()),
            logs: LogSink::Stdout(opentelemetry_stdout::LogExporter::default()),
            ids: Ids::Random(RandomIdGenerator::default()),
        }
    }

    fn otlp(protocol: OtlpProtocol) -> Result<Edge, String> {
        let ids = Ids::Random(RandomIdGenerator::default());
        let position_ids = Ids::Random(RandomIdGenerator::default());
        use opentelemetry_otlp::{LogExporter, MetricExporter, SpanExporter, WithHttpConfig as _};
        let failed = |what: &str, e: opentelemetry_otlp::ExporterBuildError| {
            format!("cannot build the OTLP {what} exporter: {e}")
        };
        let runtime = OtlpRuntime::start()?;
        // Built inside the OTLP runtime: tonic's channel spawns its connection task there.
        let _inside = runtime.handle().enter();
        let (spans, position_spans, metrics, logs) = match protocol {
            OtlpProtocol::Grpc => {
                use opentelemetry_otlp::WithTonicConfig as _;
                use opentelemetry_otlp::tonic_types::transport::ClientTlsConfig;
                // An `https` collector: the system's certificates, which 0.33's default gRPC
                // TLS client does not load (it would trust no certificate at all).
                let https = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").is_ok_and(|e| e.starts_with("https://"));
                let tls = || https.then(|| ClientTlsConfig::new().with_native_roots());
                macro_rules! tonic {
                    ($builder:expr) => {
                        match tls() {
                            Some(tls) => $builder.with_tonic().with_tls_config(tls).build(),
                            None => $builder.with_tonic().build(),
                        }
                    };
                }
                (
                    tonic!(SpanExporter::builder()).map_err(|e| failed("span", e))?,
                    tonic!(SpanExporter::builder()).map_err(|e| failed("span", e))?,
                    tonic!(MetricExporter::builder()).map_err(|e| failed("metric", e))?,
                    tonic!(LogExporter::builder()).map_err(|e| failed("log", e))?,
                )
            }
            OtlpProtocol::HttpProtobuf => {
                let http = HyperHttp::new();
                (
                    SpanExporter::builder()
                        .with_http()
                        .with_http_client(http.clone())
                        .build()
                        .map_err(|e| failed("span", e))?,
                    SpanExporter::builder()
                        .with_http()
                        .with_http_client(http.clone())
                        .build()
                        .map_err(|e| failed("span", e))?,
                    MetricExporter::builder()
                        .with_http()
                        .with_http_client(http.clone())
                        .build()
                        .map_err(|e| failed("metric", e))?,
                    LogExporter::builder().with_http().with_http_client(http).build().map_err(|e| failed("log", e))?,
                )
            }
        };
        Ok(Edge {
            spans: SpanSink::Otlp(Box::new(Otlp::new(spans, "spans", &runtime))),
            position_spans: SpanSink::Otlp(Box::new(Otlp::new(position_spans, "spans", &runtime))),
            metrics: MetricSink::Otlp(Box::new(Otlp::new(metrics, "metrics", &runtime))),
            logs: LogSink::Otlp(Box::new(Otlp::new(logs, "logs", &runtime))),
            ids,
            position_ids,
            starts: SpanStarts::default(),
            position_starts: SpanStarts::default(),
        })
    }

    /// Where [`Edge::from_env`] sends telemetry, for the banner of a real run.
    pub fn describe_env() -> String {
        match otlp_protocol() {
            None => "stdout (set OTEL_EXPORTER_OTLP_ENDPOINT to send OTLP instead)".into(),
            Some(p) => {
                format!("OTLP {p:?} to {}", otlp_endpoint())
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum OtlpProtocol {
    Grpc,
    HttpProtobuf,
}

fn otlp_endpoint() -> String {
    std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").unwrap_or_default()
}

fn otlp_protocol() -> Option<OtlpProtocol> {
    let endpoint = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok().filter(|e| !e.is_empty())?;
    let protocol = std::env::var("OTEL_EXPORTER_OTLP_PROTOCOL").unwrap_or_default();
    Some(if protocol == "grpc" || (protocol.is_empty() && endpoint.ends_with(":4317")) {
        OtlpProtocol::Grpc
    } else {
        OtlpProtocol::HttpProtobuf
    })
}

/// The SDK's in-memory span exporter, remembering the resource its provider gave it and
/// keeping its spans through `shutdown` (so the harness can read them after a shutdown
/// flushed a batch processor).
#[derive(Debug, Clone, Default)]
pub struct MemorySpans {
    spans: InMemorySpanExporter,
    resource: Arc<Mutex<Option<Resource>>>,
    shut_down: ShutDown,
}

impl MemorySpans {
    pub fn finished_spans(&self) -> Vec<SpanData> {
        self.spans.get_finished_spans().unwrap_or_default()
    }

    pub fn resource(&self) -> Option<Resource> {
        self.resource.lock().ok()?.clone()
    }
}

/// A span processor that notes what each span carried when it started, its attribute keys
/// and its links: the SDK calls `on_start` once the span is built from its builder (and its
/// sampler agreed), before the code that started it gets it back, so what is there is
/// exactly what the builder was given. Keyed by the span's ids, which the checker's
/// sequences make the same on every run; nothing here reads a clock or depends on which
/// thread starts the span.
///
/// `Edge::from_env` gives one that notes nothing (`Default`): a real run keeps no record.
#[derive(Debug, Clone, Default)]
pub struct SpanStarts(Option<Arc<Mutex<Noted>>>);

/// By span (trace id, span id): what it had when it started.
type Noted = HashMap<(TraceId, SpanId), AtStart>;

/// What a span had when it started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AtStart {
    /// Its attributes' keys.
    pub keys: Vec<String>,
    /// How many links it had.
    pub links: usize,
}

impl SpanStarts {
    fn noting() -> SpanStarts {
        SpanStarts(Some(Arc::default()))
    }

    /// What a span had at its start, or `None` when its start was not noted (a provider
    /// without this processor).
    pub fn at_start(&self, trace: TraceId, span: SpanId) -> Option<AtStart> {
        self.0.as_ref()?.lock().ok()?.get(&(trace, span)).cloned()
    }

    /// Whether any span's start was noted: false when the provider lacks this processor.
    pub fn noted_any(&self) -> bool {
        self.0.as_ref().and_then(|m| m.lock().ok().map(|m| !m.is_empty())).unwrap_or(false)
    }
}

impl SpanProcessor for SpanStarts {
    fn on_start(&self, span: &mut opentelemetry_sdk::trace::Span, _cx: &Context) {
        let Some(noted) = &self.0 else { return };
        let Some(data) = span.exported_data() else { return };
        let keys = data.attributes.iter().map(|kv| kv.key.to_string()).collect();
        let at_start = AtStart { keys, links: data.links.len() };
        if let Ok(mut noted) = noted.lock() {
            noted.insert((data.span_context.trace_id(), data.span_context.span_id()), at_start);
        }
    }

    fn on_end(&self, _span: SpanData) {}

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

/// The SDK's in-memory log exporter, keeping its records through `shutdown` (the sink
/// does not pass `shutdown` on).
#[derive(Debug, Clone, Default)]
pub struct MemoryLogs(InMemoryLogExporter, ShutDown);

impl MemoryLogs {
    pub fn emitted(&self) -> Vec<opentelemetry_sdk::logs::in_memory_exporter::LogDataWithResource> {
        self.0.get_emitted_logs().unwrap_or_default()
    }
}

/// A span exporter: in-memory under the checker, stdout or OTLP for real.
#[derive(Debug)]
pub enum SpanSink {
    Memory(MemorySpans),
    Stdout(opentelemetry_stdout::SpanExporter),
    Otlp(Box<Otlp<opentelemetry_otlp::SpanExporter>>),
}

impl SpanExporter for SpanSink {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        match self {
            SpanSink::Memory(m) => m.spans.export(batch).await,
            SpanSink::Stdout(e) => e.export(batch).await,
            SpanSink::Otlp(o) => o.export(async |e| e.export(batch).await),
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        match self {
            SpanSink::Memory(m) => {
                m.shut_down.mark();
                Ok(())
            }
            SpanSink::Stdout(e) => e.shutdown_with_timeout(timeout),
            SpanSink::Otlp(o) => o.run("shutdown", async |e| e.shutdown_with_timeout(timeout)),
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        match self {
            SpanSink::Memory(_) => Ok(()),
            SpanSink::Stdout(e) => e.force_flush(),
            SpanSink::Otlp(o) => o.run("flush", async |e| e.force_flush()),
        }
    }

    fn set_resource(&mut self, resource: &Resource) {
        match self {
            SpanSink::Memory(m) => {
                if let Ok(mut slot) = m.resource.lock() {
                    *slot = Some(resource.clone());
                }
            }
            SpanSink::Stdout(e) => e.set_resource(resource),
            SpanSink::Otlp(o) => o.exporter.set_resource(resource),
        }
    }
}

/// A metric exporter: in-memory under the checker, stdout or OTLP for real.
#[derive(Debug)]
pub enum MetricSink {
    Memory(InMemoryMetricExporter, ShutDown),
    Stdout(opentelemetry_stdout::MetricExporter),
    Otlp(Box<Otlp<opentelemetry_otlp::MetricExporter>>),
}

impl PushMetricExporter for MetricSink {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        match self {
            MetricSink::Memory(e, _) => e.export(metrics).await,
            MetricSink::Stdout(e) => e.export(metrics).await,
            MetricSink::Otlp(o) => o.export(async |e| e.export(metrics).await),
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        match self {
            MetricSink::Memory(e, _) => e.force_flush(),
            MetricSink::Stdout(e) => e.force_flush(),
            MetricSink::Otlp(o) => o.run("flush", async |e| e.force_flush()),
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        match self {
            MetricSink::Memory(_, shut_down) => {
                shut_down.mark();
                Ok(())
            }
            MetricSink::Stdout(e) => e.shutdown_with_timeout(timeout),
            MetricSink::Otlp(o) => o.run("shutdown", async |e| e.shutdown_with_timeout(timeout)),
        }
    }

    fn temporality(&self) -> Temporality {
        match self {
            MetricSink::Memory(e, _) => e.temporality(),
            MetricSink::Stdout(e) => e.temporality(),
            MetricSink::Otlp(o) => o.exporter.temporality(),
        }
    }
}

/// A log exporter: in-memory under the checker, stdout or OTLP for real.
#[derive(Debug)]
pub enum LogSink {
    Memory(MemoryLogs),
    Stdout(opentelemetry_stdout::LogExporter),
    Otlp(Box<Otlp<opentelemetry_otlp::LogExporter>>),
}

impl LogExporter for LogSink {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        match self {
            LogSink::Memory(m) => m.0.export(batch).await,
            LogSink::Stdout(e) => e.export(batch).await,
            LogSink::Otlp(o) => o.export(async |e| e.export(batch).await),
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        match self {
            LogSink::Memory(m) => {
                m.1.mark();
                Ok(())
            }
            LogSink::Stdout(e) => e.shutdown_with_timeout(timeout),
            LogSink::Otlp(o) => o.run("shutdown", async |e| e.shutdown_with_timeout(timeout)),
        }
    }

    fn set_resource(&mut self, resource: &Resource) {
        match self {
            LogSink::Memory(m) => m.0.set_resource(resource),
            LogSink::Stdout(e) => e.set_resource(resource),
            LogSink::Otlp(o) => o.exporter.set_resource(resource),
        }
    }
}

/// An OTLP exporter that never runs on its caller's thread.
///
/// Every call runs on a fresh thread that waits for it on [`OtlpRuntime`], where all of
/// the exporter's network I/O happens. Why not on the caller's thread:
/// - a simple processor calls `export` on a tokio worker, inside `futures_executor::block_on`:
///   tonic needs a reactor, and a worker blocked on I/O that the service's own runtime must
///   drive deadlocks once every worker is blocked (or at once on a current-thread runtime);
/// - the crate's default HTTP client, blocking reqwest, panics on a tokio worker.
///
/// The borrowed batch (`&ResourceMetrics`, `LogBatch<'_>` cannot be sent to a long-lived
/// thread) is safe on a scoped thread, and a panic there becomes an export error instead of
/// unwinding through the learner's code.
///
/// A collector that is not running must not make the service crawl: the exporter retries
/// each batch for up to a second or more, on the request's own thread with a simple
/// processor. So after a failed export, the batches of the next [`COLLECTOR_DOWN_PAUSE`]
/// are dropped at once (they would most likely fail too), and the first failure is said
/// on stderr.
#[derive(Debug)]
pub struct Otlp<E> {
    exporter: E,
    signal: &'static str,
    runtime: Arc<OtlpRuntime>,
    reported: AtomicBool,
    paused_until: Mutex<Option<Instant>>,
}

/// How long exports are skipped after one failed (see [`Otlp`]).
const COLLECTOR_DOWN_PAUSE: Duration = Duration::from_secs(5);

impl<E: Sync> Otlp<E> {
    fn new(exporter: E, signal: &'static str, runtime: &Arc<OtlpRuntime>) -> Self {
        Otlp {
            exporter,
            signal,
            runtime: Arc::clone(runtime),
            reported: AtomicBool::new(false),
            paused_until: Mutex::new(None),
        }
    }

    /// An export: [`Otlp::run`], unless the last export failed a moment ago.
    fn export(&self, call: impl AsyncFnOnce(&E) -> OTelSdkResult + Send) -> OTelSdkResult {
        let paused_until = self.paused_until.lock().map(|until| *until).unwrap_or_default();
        if paused_until.is_some_and(|until| Instant::now() < until) {
            return Err(OTelSdkError::InternalFailure(format!(
                "OTLP {} dropped: the last export failed less than {COLLECTOR_DOWN_PAUSE:?} ago",
                self.signal
            )));
        }
        let result = self.run("export", call);
        if let Ok(mut until) = self.paused_until.lock() {
            *until = result.is_err().then(|| Instant::now() + COLLECTOR_DOWN_PAUSE);
        }
        result
    }

    /// Runs `call` with the exporter on a scoped thread inside the OTLP runtime and waits.
    fn run(&self, what: &str, call: impl AsyncFnOnce(&E) -> OTelSdkResult + Send) -> OTelSdkResult {
        let result = std::thread::scope(|scope| {
            let thread = std::thread::Builder::new().name(format!("lab-otlp-{}", self.signal));
            let worker = thread.spawn_scoped(scope, || {
                // The exporter's own internal logs (h2, tonic, hyper) must not become log
                // records exported by the learner's log pipeline: a feedback loop, or a
                // deadlock on a simple processor's lock. The SDK suppresses them on the
                // thread that calls the exporter; this is a new thread, so say it again.
                let _quiet = Context::enter_telemetry_suppressed_scope();
                self.runtime.handle().block_on(call(&self.exporter))
            });
            match worker {
                Ok(worker) => worker.join().unwrap_or_else(|_| {
                    Err(OTelSdkError::InternalFailure(format!("OTLP {} {what} panicked", self.signal)))
                }),
                Err(e) => Err(OTelSdkError::InternalFailure(format!(
                    "cannot start a thread for the OTLP {} {what}: {e}",
                    self.signal
                ))),
            }
        });
        // Internal SDK logs are invisible unless the learner set up a subscriber: say once,
        // on stderr, that nothing reaches the collector, rather than fail silently.
        if let Err(e) = &result
            && !matches!(e, OTelSdkError::AlreadyShutdown)
            && !self.reported.swap(true, Ordering::Relaxed)
        {
            eprintln!(
                "lab: OTLP {} {what} failed: {e} (is a collector listening on {}? later failures are not shown, \
                 and batches are dropped for {COLLECTOR_DOWN_PAUSE:?} after each failure)",
                self.signal,
                otlp_endpoint()
            );
        }
        result
    }
}

/// The tokio runtime OTLP exporters do their I/O on, apart from the service's own: one
/// worker, on which the SDK's and the learner's telemetry is suppressed (see [`Otlp::run`]).
#[derive(Debug)]
struct OtlpRuntime(Option<tokio::runtime::Runtime>);

impl OtlpRuntime {
    fn start() -> Result<Arc<Self>, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("lab-otlp-io")
            .enable_all()
            // For the whole life of the thread: the guard is leaked on purpose.
            .on_thread_start(|| std::mem::forget(Context::enter_telemetry_suppressed_scope()))
            .build()
            .map_err(|e| format!("cannot start the OTLP exporters' runtime: {e}"))?;
        Ok(Arc::new(OtlpRuntime(Some(runtime))))
    }

    fn handle(&self) -> &tokio::runtime::Handle {
        self.0.as_ref().expect("the runtime lives until drop").handle()
    }
}

impl Drop for OtlpRuntime {
    /// The last sink may be dropped on a tokio worker, where dropping a runtime panics;
    /// `shutdown_background` does not block. Everything was flushed at shutdown already.
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// OTLP/HTTP's client: hyper, on the OTLP runtime. The crate's default, blocking reqwest,
/// runs its I/O on a thread of its own where its internal logs cannot be suppressed, and
/// panics when called inside a tokio runtime. Both speak TLS to an `https` endpoint.
#[derive(Debug, Clone)]
struct HyperHttp {
    client: HyperClient,
    timeout: Duration,
}

/// The edge's HTTP client: `http` and `https` (rustls, the system's certificates), or
/// `http` only on a system without certificates, which is said once.
#[derive(Debug, Clone)]
enum HyperClient {
    Tls(Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>),
    Plain(Client<HttpConnector, Full<Bytes>>),
}

impl HyperClient {
    fn new() -> HyperClient {
        let builder = Client::builder(TokioExecutor::new());
        match hyper_rustls::HttpsConnectorBuilder::new().with_native_roots() {
            Ok(tls) => HyperClient::Tls(builder.build(tls.https_or_http().enable_http1().build())),
            Err(e) => {
                eprintln!("telemetry: no CA certificates on this system ({e}): an https collector cannot be reached");
                HyperClient::Plain(builder.build_http())
            }
        }
    }

    /// One request, and its response with the whole body.
    async fn exchange(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let request = request.map(Full::new);
        let response = match self {
            HyperClient::Tls(client) => client.request(request).await?,
            HyperClient::Plain(client) => client.request(request).await?,
        };
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok(Response::from_parts(parts, body))
    }
}

impl HyperHttp {
    fn new() -> Self {
        // The exporter's retries have a deadline but no per-request timeout: the client
        // must bound each request, as reqwest does, with OTEL_EXPORTER_OTLP_TIMEOUT (ms).
        let timeout = std::env::var("OTEL_EXPORTER_OTLP_TIMEOUT")
            .ok()
            .and_then(|ms| ms.parse().ok())
            .map_or(opentelemetry_otlp::OTEL_EXPORTER_OTLP_TIMEOUT_DEFAULT, Duration::from_millis);
        HyperHttp { client: HyperClient::new(), timeout }
    }
}

// `HttpClient` is an `async_trait`; this is what the macro would write.
impl HttpClient for HyperHttp {
    fn send_bytes<'a, 'f>(
        &'a self,
        request: Request<Bytes>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<Bytes>, HttpError>> + Send + 'f>>
    where
        'a: 'f,
        Self: 'f,
    {
        Box::pin(async move {
            match tokio::time::timeout(self.timeout, self.client.exchange(request)).await {
                Ok(result) => result,
                Err(_) => Err(format!("no response within {:?}", self.timeout).into()),
            }
        })
    }
}

/// Trace and span ids: a fixed sequence under the checker, random for real.
#[derive(Debug)]
pub enum Ids {
    Sequence(SequenceIds),
    Random(RandomIdGenerator),
}

impl IdGenerator for Ids {
    fn new_trace_id(&self) -> TraceId {
        match self {
            Ids::Sequence(s) => s.new_trace_id(),
            Ids::Random(r) => r.new_trace_id(),
        }
    }

    fn new_span_id(&self) -> SpanId {
        match self {
            Ids::Sequence(s) => s.new_span_id(),
            Ids::Random(r) => r.new_span_id(),
        }
    }
}

/// Deterministic ids. Trace ids are spread over the whole range (splitmix64 of a counter),
/// so that a ratio sampler keeps a fixed, realistic subset of traces; span ids count up.
#[derive(Debug, Default)]
pub struct SequenceIds {
    traces: AtomicU64,
    spans: AtomicU64,
}

/// Where the position service's sequence starts: far from the distance service's.
pub(crate) const POSITION_IDS_START: u64 = 1 << 40;

impl SequenceIds {
    /// A sequence whose first trace and span ids come after `start`.
    pub fn starting_at(start: u64) -> Self {
        SequenceIds { traces: AtomicU64::new(start), spans: AtomicU64::new(start) }
    }
}

impl IdGenerator for SequenceIds {
    fn new_trace_id(&self) -> TraceId {
        let n = self.traces.fetch_add(1, Ordering::SeqCst) + 1;
        TraceId::from(((n as u128) << 64) | splitmix64(n) as u128)
    }

    fn new_span_id(&self) -> SpanId {
        SpanId::from(self.spans.fetch_add(1, Ordering::SeqCst) + 1)
    }
}

fn splitmix64(n: u64) -> u64 {
    let mut z = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
