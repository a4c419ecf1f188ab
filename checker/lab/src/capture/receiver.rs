//! The collector of a capture over the wire: an OTLP receiver on loopback (127.0.0.1, a
//! port the system picks) inside the capture's own process, to which the harness points
//! the service's own OTLP exporters through the standard variables (exercise 19). What it
//! keeps is what went over the wire: the decoded `Export{Trace,Metrics,Logs}ServiceRequest`s,
//! in the order they arrived, and why it refused the requests it refused.
//!
//! It speaks both OTLP transports on the one port, as the operator's
//! `OTEL_EXPORTER_OTLP_PROTOCOL` may choose either: OTLP/HTTP with protobuf bodies
//! (`http/protobuf`, HTTP/1.1 on `/v1/{signal}`) and OTLP/gRPC (HTTP/2 without TLS, the
//! collector services of opentelemetry-proto, served by tonic), each uncompressed or gzip
//! (`OTEL_EXPORTER_OTLP_COMPRESSION=gzip`). It expects the transport the variable names
//! ([`Protocol`]): an export over the other one is refused, and the refusal says that the
//! code, not the operator, chose the transport. A JSON body is refused with 415, another
//! compression too, a body over [`BODY_LIMIT`] with 413 (over gRPC tonic refuses it before
//! the service sees it, so it shows as that signal never received).
//! Every request must carry the operator's header ([`TOKEN_HEADER`], gRPC metadata on
//! gRPC), as a collector with authentication requires: an exporter that drops the headers
//! of `OTEL_EXPORTER_OTLP_HEADERS` is refused with 401 (gRPC: `UNAUTHENTICATED`). Every
//! refusal is recorded with its reason.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::routing::post;
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{LogsService, LogsServiceServer};
use opentelemetry_proto::tonic::collector::logs::v1::{ExportLogsServiceRequest, ExportLogsServiceResponse};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{ExportMetricsServiceRequest, ExportMetricsServiceResponse};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use prost::Message;
use tonic::codec::CompressionEncoding;

use crate::edge::POSITION_IDS_START;

/// The header every export must carry, with the receiver's token as its value.
pub const TOKEN_HEADER: &str = "lab-collector-token";

/// The largest export body the receiver reads (axum's default, said here so that the
/// refusal can name it): every solution's exports are a few KB.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The environment variable with which the operator chooses the transport.
pub const PROTOCOL_VARIABLE: &str = "OTEL_EXPORTER_OTLP_PROTOCOL";

/// The OTLP transports the receiver speaks (OTLP/HTTP with JSON bodies it refuses).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Protocol {
    /// OTLP/HTTP with protobuf bodies: the specification's default, and the harness's.
    #[default]
    HttpProtobuf,
    /// OTLP/gRPC.
    Grpc,
}

impl Protocol {
    /// The value of [`PROTOCOL_VARIABLE`] that names it.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::HttpProtobuf => "http/protobuf",
            Protocol::Grpc => "grpc",
        }
    }

    /// The transport a capture expects: `grpc` when its process was started with
    /// `OTEL_EXPORTER_OTLP_PROTOCOL=grpc` (a second capture under the operator's variables;
    /// the checker clears every `OTEL_*` variable of its own environment), else
    /// `http/protobuf`.
    pub fn from_env() -> Protocol {
        match std::env::var(PROTOCOL_VARIABLE) {
            Ok(value) if value.trim().eq_ignore_ascii_case("grpc") => Protocol::Grpc,
            _ => Protocol::HttpProtobuf,
        }
    }

    /// Why an export that came over `self` is refused when `expected` was asked for.
    fn refusal(self, expected: Protocol, signal: &str) -> String {
        let (builder, twin) = match signal {
            "metrics" => ("MetricExporter", "the span and log twins"),
            "logs" => ("LogExporter", "the span and metric twins"),
            _ => ("SpanExporter", "the metric and log twins"),
        };
        let fixed = match self {
            Protocol::HttpProtobuf => "`.with_http()`",
            Protocol::Grpc => "`.with_tonic()`",
        };
        format!(
            "refused an export of {signal} that came over {} while `{PROTOCOL_VARIABLE}={}` asked for {}: the \
             operator chooses the transport, and the code chose it instead ({fixed}, or `.with_protocol(..)`). \
             Build the exporter with `{builder}::builder().build()` ({twin} alike), which follows the variable",
            self.name(),
            expected.name(),
            expected.name(),
        )
    }
}

/// Everything the receiver was sent.
#[derive(Debug, Clone, Default)]
pub struct Received {
    /// The transport the receiver expects (the operator's variable).
    pub protocol: Protocol,
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
                let to = match self.protocol {
                    Protocol::HttpProtobuf => format!("/v1/{signal}"),
                    // The likeliest cause there: a builder that fixed HTTP refuses `grpc`.
                    Protocol::Grpc => format!(
                        "its gRPC service for {signal} (`{PROTOCOL_VARIABLE}=grpc`: an exporter built `.with_http()` \
                         refuses that protocol when it builds; `builder().build()` follows the variable)"
                    ),
                };
                refused.insert(
                    signal.to_string(),
                    format!(
                        "received no export of {signal}: nothing was sent to {to} at the address \
                         OTEL_EXPORTER_OTLP_ENDPOINT names (an endpoint written in the code sends elsewhere, a \
                         collector that cannot be reached receives nothing, an exporter that failed to build sends \
                         nothing, and a provider never shut down never sends its last batch)"
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
    /// The transport it expects: the one the operator's variable names.
    pub protocol: Protocol,
    received: Arc<Mutex<Received>>,
}

impl Receiver {
    /// Binds the port now (so the endpoint is known before the service's exporters are
    /// built); [`Receiver::serve`] answers on it once a runtime runs.
    /// The transport it expects is the one `OTEL_EXPORTER_OTLP_PROTOCOL` names ([`Protocol::from_env`]).
    pub fn bind() -> std::io::Result<(Receiver, std::net::TcpListener)> {
        Receiver::bind_for(Protocol::from_env())
    }

    /// [`Receiver::bind`], expecting `protocol`.
    pub fn bind_for(protocol: Protocol) -> std::io::Result<(Receiver, std::net::TcpListener)> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        // Not a secret, only a value no exporter sends unless it was told to.
        let token = format!("lab-{}", std::process::id());
        let received = Received { protocol, ..Received::default() };
        Ok((Receiver { endpoint, token, protocol, received: Arc::new(Mutex::new(received)) }, listener))
    }

    /// The variables an operator sets to point a service's exporters at this receiver.
    pub fn env(&self) -> [(&'static str, String); 3] {
        [
            ("OTEL_EXPORTER_OTLP_ENDPOINT", self.endpoint.clone()),
            (PROTOCOL_VARIABLE, self.protocol.name().to_string()),
            ("OTEL_EXPORTER_OTLP_HEADERS", format!("{TOKEN_HEADER}={}", self.token)),
        ]
    }

    /// Serves `listener` on the current tokio runtime until the process ends.
    pub fn serve(&self, listener: std::net::TcpListener) -> std::io::Result<()> {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        // tonic's generated services, on the paths of their methods (HTTP/2 requests: axum
        // serves both HTTP versions on one port), each taking gzip as well.
        let grpc = Grpc(self.clone());
        let router = Router::new()
            .route("/v1/traces", post(traces))
            .route("/v1/metrics", post(metrics))
            .route("/v1/logs", post(logs))
            .route_service(
                "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                TraceServiceServer::new(grpc.clone())
                    .accept_compressed(CompressionEncoding::Gzip)
                    .max_decoding_message_size(BODY_LIMIT),
            )
            .route_service(
                "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
                MetricsServiceServer::new(grpc.clone())
                    .accept_compressed(CompressionEncoding::Gzip)
                    .max_decoding_message_size(BODY_LIMIT),
            )
            .route_service(
                "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
                LogsServiceServer::new(grpc)
                    .accept_compressed(CompressionEncoding::Gzip)
                    .max_decoding_message_size(BODY_LIMIT),
            )
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
        let verdict = if self.protocol != Protocol::HttpProtobuf {
            Err((StatusCode::NOT_FOUND, Protocol::HttpProtobuf.refusal(self.protocol, signal)))
        } else if headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok()) != Some(self.token.as_str()) {
            Err((
                StatusCode::UNAUTHORIZED,
                format!(
                    "refused an export of {signal} with 401: it did not carry the header `{TOKEN_HEADER}` \
                     that OTEL_EXPORTER_OTLP_HEADERS gives"
                ),
            ))
        } else if !encoding.eq_ignore_ascii_case("identity") && !encoding.eq_ignore_ascii_case("gzip") {
            Err((
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "refused an export of {signal} with 415: its body was compressed with `{encoding}`; this \
                     collector takes http/protobuf uncompressed or gzip (OTEL_EXPORTER_OTLP_COMPRESSION=gzip)"
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
                Ok(body) => gunzip(body, encoding, signal).and_then(|body| {
                    M::decode(body.as_ref()).map_err(|e| {
                        (
                            StatusCode::BAD_REQUEST,
                            format!("refused an export of {signal} with 400: not OTLP protobuf: {e}"),
                        )
                    })
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
/// the exporter completes itself), another gRPC method, a typo.
async fn elsewhere(State(r): State<Receiver>, uri: Uri) -> StatusCode {
    if let Ok(mut received) = r.received.lock() {
        let path = uri.path().to_string();
        let why = format!(
            "refused an export to `{path}` with 404: it takes /v1/traces, /v1/metrics and /v1/logs, at the \
             address OTEL_EXPORTER_OTLP_ENDPOINT names"
        );
        received.reject(&path, why);
    }
    StatusCode::NOT_FOUND
}

/// A gzip body decompressed (`content-encoding: gzip`, what `gzip-http` sends), read up to
/// [`BODY_LIMIT`] so that a small body cannot unpack into an unbounded one.
fn gunzip(body: Bytes, encoding: &str, signal: &str) -> Result<Bytes, (StatusCode, String)> {
    if !encoding.eq_ignore_ascii_case("gzip") {
        return Ok(body);
    }
    let mut unpacked = Vec::new();
    let read = flate2::read::GzDecoder::new(body.as_ref()).take(BODY_LIMIT as u64 + 1).read_to_end(&mut unpacked);
    match read {
        Err(e) => Err((StatusCode::BAD_REQUEST, format!("refused an export of {signal} with 400: not gzip: {e}"))),
        Ok(n) if n > BODY_LIMIT => Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "refused an export of {signal} with 413: unpacked, its body is over this collector's limit of {} MiB",
                BODY_LIMIT / (1024 * 1024)
            ),
        )),
        Ok(_) => Ok(Bytes::from(unpacked)),
    }
}

/// The receiver's OTLP/gRPC side: tonic's generated collector services.
#[derive(Debug, Clone)]
struct Grpc(Receiver);

impl Grpc {
    /// Checks the transport and the token, and keeps the message or the reason it was refused.
    fn accept<M>(
        &self,
        signal: &str,
        request: tonic::Request<M>,
        keep: impl FnOnce(&mut Received, M),
    ) -> Result<(), tonic::Status> {
        let receiver = &self.0;
        let token = request.metadata().get(TOKEN_HEADER).and_then(|v| v.to_str().ok());
        let verdict = if receiver.protocol != Protocol::Grpc {
            let why = Protocol::Grpc.refusal(receiver.protocol, signal);
            Err((tonic::Status::unimplemented(why.clone()), why))
        } else if token != Some(receiver.token.as_str()) {
            let why = format!(
                "refused an export of {signal} with UNAUTHENTICATED: it did not carry the metadata `{TOKEN_HEADER}` \
                 that OTEL_EXPORTER_OTLP_HEADERS gives"
            );
            Err((tonic::Status::unauthenticated(why.clone()), why))
        } else {
            Ok(request.into_inner())
        };
        let Ok(mut received) = receiver.received.lock() else {
            return Err(tonic::Status::internal("the receiver failed"));
        };
        match verdict {
            Ok(message) => {
                keep(&mut received, message);
                Ok(())
            }
            Err((status, why)) => {
                received.reject(signal, why);
                Err(status)
            }
        }
    }
}

#[tonic::async_trait]
impl TraceService for Grpc {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.accept("traces", request, |into, m| into.traces.push(m))?;
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Grpc {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        self.accept("metrics", request, |into, m| into.metrics.push(m))?;
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl LogsService for Grpc {
    async fn export(
        &self,
        request: tonic::Request<ExportLogsServiceRequest>,
    ) -> Result<tonic::Response<ExportLogsServiceResponse>, tonic::Status> {
        self.accept("logs", request, |into, m| into.logs.push(m))?;
        Ok(tonic::Response::new(ExportLogsServiceResponse::default()))
    }
}
