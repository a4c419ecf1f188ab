//! The collector of a capture over the wire: an OTLP/HTTP receiver on loopback
//! (127.0.0.1, a port the system picks) inside the capture's own process, to which the
//! harness points the service's own OTLP exporters through the standard variables
//! (exercise 19). What it keeps is what went over the wire: the decoded
//! `Export{Trace,Metrics,Logs}ServiceRequest`s, in the order they arrived, and why it
//! refused the requests it refused.
//!
//! It speaks OTLP/HTTP with uncompressed protobuf bodies only (`http/protobuf`, the
//! protocol the harness asks for): a JSON body is refused with 415, a gzip one too, and a
//! body over [`BODY_LIMIT`] with 413. It also answers HTTP/2 without TLS, so that a gRPC
//! exporter (HTTP/2 on `/opentelemetry.proto.collector...`, `content-type:
//! application/grpc`) is recognised and named, then refused with 404, which its exporter
//! reports as an error. Every request must carry the operator's header
//! ([`TOKEN_HEADER`]), as a collector with authentication requires: an exporter that
//! drops the headers of `OTEL_EXPORTER_OTLP_HEADERS` is refused with 401. Every refusal
//! is recorded with its reason.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::routing::post;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

use crate::edge::POSITION_IDS_START;

/// The header every export must carry, with the receiver's token as its value.
pub const TOKEN_HEADER: &str = "lab-collector-token";

/// The largest export body the receiver reads (axum's default, said here so that the
/// refusal can name it): every solution's exports are a few KB.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Everything the receiver was sent.
#[derive(Debug, Clone, Default)]
pub struct Received {
    pub traces: Vec<ExportTraceServiceRequest>,
    pub metrics: Vec<ExportMetricsServiceRequest>,
    pub logs: Vec<ExportLogsServiceRequest>,
    /// Per signal (`traces`, `metrics`, `logs`, or the path asked for), why the receiver
    /// refused a request (the first reason of each, so the document stays small), as a
    /// sentence whose subject is the collector.
    pub rejected: BTreeMap<String, String>,
}

/// How many items had arrived at one moment (for the `delivery` facts).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Arrived {
    /// The distance service's spans.
    pub spans: usize,
    /// The position service's spans (its ids are a sequence of their own: see [`is_position`]).
    pub position_spans: usize,
    pub metric_exports: usize,
    pub logs: usize,
}

impl Received {
    pub fn arrived(&self) -> Arrived {
        let (position_spans, spans): (Vec<_>, Vec<_>) = self
            .traces
            .iter()
            .flat_map(|r| &r.resource_spans)
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| &s.spans)
            .partition(|s| is_position(&s.span_id));
        let logs = self
            .logs
            .iter()
            .flat_map(|r| &r.resource_logs)
            .flat_map(|r| &r.scope_logs)
            .map(|s| s.log_records.len())
            .sum();
        Arrived { spans: spans.len(), position_spans: position_spans.len(), metric_exports: self.metrics.len(), logs }
    }

    fn reject(&mut self, signal: &str, why: String) {
        self.rejected.entry(signal.to_string()).or_insert(why);
    }

    /// What the receiver refused, and each signal of which it received nothing at all
    /// (an exporter that sent elsewhere, or none built): the document's `refused`.
    pub fn refused(&self) -> std::collections::BTreeMap<String, String> {
        let mut refused = self.rejected.clone();
        for (signal, count) in
            [("traces", self.traces.len()), ("metrics", self.metrics.len()), ("logs", self.logs.len())]
        {
            if count == 0 && !refused.contains_key(signal) {
                refused.insert(
                    signal.to_string(),
                    format!(
                        "received no export of {signal}: nothing was sent to /v1/{signal} at the address \
                         OTEL_EXPORTER_OTLP_ENDPOINT names (an endpoint written in the code sends elsewhere, a \
                         collector that cannot be reached receives nothing, and a provider never shut down never \
                         sends its last batch)"
                    ),
                );
            }
        }
        refused
    }
}

/// Whether a span (by its id on the wire) is the position service's: under the checker
/// its provider takes ids from a sequence of its own, far above the distance service's
/// (`Edge::position_ids`), so this holds whatever order the two providers' exports arrive in.
pub fn is_position(span_id: &[u8]) -> bool {
    <[u8; 8]>::try_from(span_id).is_ok_and(|id| u64::from_be_bytes(id) > POSITION_IDS_START)
}

/// A running receiver: where it listens, the token it requires, what it was sent.
#[derive(Debug, Clone)]
pub struct Receiver {
    /// `http://127.0.0.1:<port>`: the base endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`).
    pub endpoint: String,
    pub token: String,
    received: Arc<Mutex<Received>>,
}

impl Receiver {
    /// Binds the port now (so the endpoint is known before the service's exporters are
    /// built); [`Receiver::serve`] answers on it once a runtime runs.
    pub fn bind() -> std::io::Result<(Receiver, std::net::TcpListener)> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        // Not a secret, only a value no exporter sends unless it was told to.
        let token = format!("lab-{}", std::process::id());
        Ok((Receiver { endpoint, token, received: Arc::default() }, listener))
    }

    /// The variables an operator sets to point a service's exporters at this receiver.
    pub fn env(&self) -> [(&'static str, String); 3] {
        [
            ("OTEL_EXPORTER_OTLP_ENDPOINT", self.endpoint.clone()),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf".to_string()),
            ("OTEL_EXPORTER_OTLP_HEADERS", format!("{TOKEN_HEADER}={}", self.token)),
        ]
    }

    /// Serves `listener` on the current tokio runtime until the process ends.
    pub fn serve(&self, listener: std::net::TcpListener) -> std::io::Result<()> {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let router = Router::new()
            .route("/v1/traces", post(traces))
            .route("/v1/metrics", post(metrics))
            .route("/v1/logs", post(logs))
            .fallback(elsewhere)
            .layer(DefaultBodyLimit::max(BODY_LIMIT))
            .with_state(self.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(())
    }

    /// What it was sent so far.
    pub fn received(&self) -> Received {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Checks the token and the body's format, decodes it, and keeps it or the reason it
    /// was refused.
    fn accept<M: Message + Default>(
        &self,
        signal: &str,
        headers: &HeaderMap,
        body: Result<Bytes, BytesRejection>,
        keep: impl FnOnce(&mut Received, M),
    ) -> (StatusCode, [(header::HeaderName, &'static str); 1], Vec<u8>) {
        let protobuf = [(header::CONTENT_TYPE, "application/x-protobuf")];
        let encoding = headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or("identity");
        let verdict = if headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok()) != Some(self.token.as_str()) {
            Err((
                StatusCode::UNAUTHORIZED,
                format!(
                    "refused an export of {signal} with 401: it did not carry the header `{TOKEN_HEADER}` \
                     that OTEL_EXPORTER_OTLP_HEADERS gives"
                ),
            ))
        } else if !encoding.eq_ignore_ascii_case("identity") {
            Err((
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "refused an export of {signal} with 415: its body was compressed (`content-encoding: \
                     {encoding}`); this collector takes uncompressed http/protobuf, so leave the exporter's \
                     compression off (`.with_compression(..)`, OTEL_EXPORTER_OTLP_COMPRESSION)"
                ),
            ))
        } else if headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) != Some("application/x-protobuf") {
            let sent = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("none");
            Err((
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("refused an export of {signal} with 415: its body was `{sent}`; it takes http/protobuf"),
            ))
        } else {
            match body {
                Ok(body) => M::decode(body.as_ref()).map_err(|e| {
                    (StatusCode::BAD_REQUEST, format!("refused an export of {signal} with 400: not OTLP protobuf: {e}"))
                }),
                Err(BytesRejection::FailedToBufferBody(e)) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err((
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "refused an export of {signal} with 413: its body is over this collector's limit of {} MiB \
                         (every solution's exports are a few KB): far more telemetry than the scenario makes, \
                         created in a loop?",
                        BODY_LIMIT / (1024 * 1024)
                    ),
                )),
                Err(e) => Err((
                    e.status(),
                    format!(
                        "refused an export of {signal} with {}: its body could not be read: {e}",
                        e.status().as_u16()
                    ),
                )),
            }
        };
        let Ok(mut received) = self.received.lock() else {
            return (StatusCode::INTERNAL_SERVER_ERROR, protobuf, vec![]);
        };
        match verdict {
            Ok(message) => {
                keep(&mut received, message);
                // An empty `Export*ServiceResponse` is an empty protobuf message.
                (StatusCode::OK, protobuf, vec![])
            }
            Err((status, why)) => {
                received.reject(signal, why);
                (status, protobuf, vec![])
            }
        }
    }
}

type Answer = (StatusCode, [(header::HeaderName, &'static str); 1], Vec<u8>);

async fn traces(State(r): State<Receiver>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Answer {
    r.accept("traces", &headers, body, |into, m: ExportTraceServiceRequest| into.traces.push(m))
}

async fn metrics(State(r): State<Receiver>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Answer {
    r.accept("metrics", &headers, body, |into, m: ExportMetricsServiceRequest| into.metrics.push(m))
}

async fn logs(State(r): State<Receiver>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Answer {
    r.accept("logs", &headers, body, |into, m: ExportLogsServiceRequest| into.logs.push(m))
}

/// Any other path: `/v1/traces/v1/traces` (a signal path appended by hand to an endpoint
/// the exporter completes itself), a gRPC method, a typo.
async fn elsewhere(State(r): State<Receiver>, headers: HeaderMap, uri: Uri) -> StatusCode {
    if let Ok(mut received) = r.received.lock() {
        let path = uri.path().to_string();
        let grpc = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/grpc"));
        if grpc {
            // Said under the signal's name: the collector then says once why that
            // signal never arrived, not also that nothing was sent.
            let signal = grpc_signal(&path).unwrap_or(&path);
            let why = format!(
                "received OTLP/gRPC (`{path}`); this exercise is graded with http/protobuf, which \
                 `OTEL_EXPORTER_OTLP_PROTOCOL` names: build the exporter with `.with_http()`, not `.with_tonic()` \
                 (or read the protocol from the variable)"
            );
            received.reject(signal, why);
            return StatusCode::NOT_FOUND;
        }
        let why = format!(
            "refused an export to `{path}` with 404: it takes /v1/traces, /v1/metrics and /v1/logs, at the \
             address OTEL_EXPORTER_OTLP_ENDPOINT names"
        );
        received.reject(&path, why);
    }
    StatusCode::NOT_FOUND
}

/// The signal of an OTLP/gRPC method (`/opentelemetry.proto.collector.trace.v1.TraceService/Export`).
fn grpc_signal(path: &str) -> Option<&'static str> {
    [("TraceService", "traces"), ("MetricsService", "metrics"), ("LogsService", "logs")]
        .into_iter()
        .find(|(service, _)| path.contains(service))
        .map(|(_, signal)| signal)
}
