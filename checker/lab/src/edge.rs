//! The edge: the only part of the telemetry pipeline that differs between a checker run
//! and a real one.
//!
//! The learner's setup code receives an [`Edge`] and builds its providers around its
//! exporters, exactly as it would around any exporter. Under the checker the exporters are
//! the SDK's in-memory ones and ids come from a fixed sequence; run for real they print to
//! stdout (opentelemetry-stdout) or, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, send OTLP.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{InMemoryLogExporter, LogBatch, LogExporter};
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, Temporality};
use opentelemetry_sdk::trace::{IdGenerator, InMemorySpanExporter, RandomIdGenerator, SpanData, SpanExporter};

/// The exporters (and id generator) a service's telemetry setup builds on.
#[derive(Debug)]
pub struct Edge {
    /// Give this to a tracer provider (`with_simple_exporter`, `with_batch_exporter`).
    pub spans: SpanSink,
    /// Give this to a `PeriodicReader`.
    pub metrics: MetricSink,
    /// Give this to a logger provider (`with_simple_exporter`, `with_batch_exporter`).
    pub logs: LogSink,
    /// Give this to the tracer provider (`with_id_generator`): a fixed sequence under the
    /// checker (stable snapshots, reproducible sampling), random ids for real.
    pub ids: Ids,
}

/// What the checker reads back after the scenario ran.
#[derive(Debug, Clone, Default)]
pub struct Captured {
    pub spans: MemorySpans,
    pub metrics: InMemoryMetricExporter,
    pub logs: MemoryLogs,
}

impl Edge {
    /// In-memory exporters and sequential ids, plus the handles to read them.
    pub fn capture() -> (Edge, Captured) {
        let captured = Captured::default();
        let edge = Edge {
            spans: SpanSink::Memory(captured.spans.clone()),
            metrics: MetricSink::Memory(captured.metrics.clone()),
            logs: LogSink::Memory(captured.logs.clone()),
            ids: Ids::Sequence(SequenceIds::default()),
        };
        (edge, captured)
    }

    /// Stdout exporters, or OTLP ones when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (HTTP/protobuf
    /// unless `OTEL_EXPORTER_OTLP_PROTOCOL=grpc`). Must be called inside a tokio runtime.
    pub fn from_env() -> Result<Edge, String> {
        let ids = Ids::Random(RandomIdGenerator::default());
        let Some(protocol) = otlp_protocol() else {
            return Ok(Edge {
                spans: SpanSink::Stdout(opentelemetry_stdout::SpanExporter::default()),
                metrics: MetricSink::Stdout(opentelemetry_stdout::MetricExporter::default()),
                logs: LogSink::Stdout(opentelemetry_stdout::LogExporter::default()),
                ids,
            });
        };
        use opentelemetry_otlp::{LogExporter, MetricExporter, SpanExporter};
        let failed = |what: &str, e: opentelemetry_otlp::ExporterBuildError| format!("cannot build the OTLP {what} exporter: {e}");
        let edge = match protocol {
            OtlpProtocol::Grpc => Edge {
                spans: SpanSink::Otlp(SpanExporter::builder().with_tonic().build().map_err(|e| failed("span", e))?),
                metrics: MetricSink::Otlp(MetricExporter::builder().with_tonic().build().map_err(|e| failed("metric", e))?),
                logs: LogSink::Otlp(LogExporter::builder().with_tonic().build().map_err(|e| failed("log", e))?),
                ids,
            },
            OtlpProtocol::HttpProtobuf => Edge {
                spans: SpanSink::Otlp(SpanExporter::builder().with_http().build().map_err(|e| failed("span", e))?),
                metrics: MetricSink::Otlp(MetricExporter::builder().with_http().build().map_err(|e| failed("metric", e))?),
                logs: LogSink::Otlp(LogExporter::builder().with_http().build().map_err(|e| failed("log", e))?),
                ids,
            },
        };
        Ok(edge)
    }

    /// Where [`Edge::from_env`] sends telemetry, for the banner of a real run.
    pub fn describe_env() -> String {
        match otlp_protocol() {
            None => "stdout (set OTEL_EXPORTER_OTLP_ENDPOINT to send OTLP instead)".into(),
            Some(p) => {
                let endpoint = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").unwrap_or_default();
                format!("OTLP {p:?} to {endpoint}")
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum OtlpProtocol {
    Grpc,
    HttpProtobuf,
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
}

impl MemorySpans {
    pub fn finished_spans(&self) -> Vec<SpanData> {
        self.spans.get_finished_spans().unwrap_or_default()
    }

    pub fn resource(&self) -> Option<Resource> {
        self.resource.lock().ok()?.clone()
    }
}

/// The SDK's in-memory log exporter, keeping its records through `shutdown` (the sink
/// does not pass `shutdown` on).
#[derive(Debug, Clone, Default)]
pub struct MemoryLogs(InMemoryLogExporter);

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
    Otlp(opentelemetry_otlp::SpanExporter),
}

impl SpanExporter for SpanSink {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        match self {
            SpanSink::Memory(m) => m.spans.export(batch).await,
            SpanSink::Stdout(e) => e.export(batch).await,
            SpanSink::Otlp(e) => e.export(batch).await,
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        match self {
            SpanSink::Memory(_) => Ok(()),
            SpanSink::Stdout(e) => e.shutdown_with_timeout(timeout),
            SpanSink::Otlp(e) => e.shutdown_with_timeout(timeout),
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        match self {
            SpanSink::Memory(_) => Ok(()),
            SpanSink::Stdout(e) => e.force_flush(),
            SpanSink::Otlp(e) => e.force_flush(),
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
            SpanSink::Otlp(e) => e.set_resource(resource),
        }
    }
}

/// A metric exporter: in-memory under the checker, stdout or OTLP for real.
#[derive(Debug)]
pub enum MetricSink {
    Memory(InMemoryMetricExporter),
    Stdout(opentelemetry_stdout::MetricExporter),
    Otlp(opentelemetry_otlp::MetricExporter),
}

impl PushMetricExporter for MetricSink {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        match self {
            MetricSink::Memory(e) => e.export(metrics).await,
            MetricSink::Stdout(e) => e.export(metrics).await,
            MetricSink::Otlp(e) => e.export(metrics).await,
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        match self {
            MetricSink::Memory(e) => e.force_flush(),
            MetricSink::Stdout(e) => e.force_flush(),
            MetricSink::Otlp(e) => e.force_flush(),
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        match self {
            MetricSink::Memory(_) => Ok(()),
            MetricSink::Stdout(e) => e.shutdown_with_timeout(timeout),
            MetricSink::Otlp(e) => e.shutdown_with_timeout(timeout),
        }
    }

    fn temporality(&self) -> Temporality {
        match self {
            MetricSink::Memory(e) => e.temporality(),
            MetricSink::Stdout(e) => e.temporality(),
            MetricSink::Otlp(e) => e.temporality(),
        }
    }
}

/// A log exporter: in-memory under the checker, stdout or OTLP for real.
#[derive(Debug)]
pub enum LogSink {
    Memory(MemoryLogs),
    Stdout(opentelemetry_stdout::LogExporter),
    Otlp(opentelemetry_otlp::LogExporter),
}

impl LogExporter for LogSink {
    async fn export(&self, batch: LogBatch<'_>) -> OTelSdkResult {
        match self {
            LogSink::Memory(m) => m.0.export(batch).await,
            LogSink::Stdout(e) => e.export(batch).await,
            LogSink::Otlp(e) => e.export(batch).await,
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        match self {
            LogSink::Memory(_) => Ok(()),
            LogSink::Stdout(e) => e.shutdown_with_timeout(timeout),
            LogSink::Otlp(e) => e.shutdown_with_timeout(timeout),
        }
    }

    fn set_resource(&mut self, resource: &Resource) {
        match self {
            LogSink::Memory(m) => m.0.set_resource(resource),
            LogSink::Stdout(e) => e.set_resource(resource),
            LogSink::Otlp(e) => e.set_resource(resource),
        }
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
