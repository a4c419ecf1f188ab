//! The capture's OTLP receiver refuses what a collector with authentication refuses, and
//! says why in the document's words: a request without the operator's header, a body
//! that is not protobuf, a path it does not serve, the transport the operator did not
//! choose; and it names each signal of which it received nothing. It takes OTLP/HTTP and
//! OTLP/gRPC, each plain or gzip.

use std::io::{Read, Write};
use std::net::TcpStream;

use lab::capture::receiver::{Protocol, Receiver, TOKEN_HEADER};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use prost::Message as _;
use tonic::codec::CompressionEncoding;

/// One HTTP/1.1 POST, written by hand (the receiver must not depend on which client the
/// exporter uses); returns the status code.
fn post(endpoint: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> u16 {
    let address = endpoint.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(address).unwrap();
    let mut request = format!("POST {path} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn the_receiver_keeps_what_it_accepts_and_says_why_it_refused_the_rest() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let (receiver, listener) = Receiver::bind_for(Protocol::HttpProtobuf).unwrap();
    {
        let _inside = runtime.enter();
        receiver.serve(listener).unwrap();
    }
    let token = receiver.token.clone();
    let protobuf = ("content-type", "application/x-protobuf");
    let endpoint = receiver.endpoint.clone();
    let check = std::thread::spawn(move || {
        let with_token = (TOKEN_HEADER, token.as_str());
        // An empty message is a valid (empty) ExportTraceServiceRequest.
        assert_eq!(post(&endpoint, "/v1/traces", &[protobuf, with_token], b""), 200);
        assert_eq!(post(&endpoint, "/v1/metrics", &[protobuf], b""), 401, "no token");
        assert_eq!(post(&endpoint, "/v1/logs", &[("content-type", "application/json"), with_token], b"{}"), 415);
        assert_eq!(post(&endpoint, "/v1/traces/v1/traces", &[protobuf, with_token], b""), 404);
        assert_eq!(post(&endpoint, "/v1/traces", &[protobuf, with_token], b"\xff\xff"), 400, "not protobuf");
    });
    check.join().unwrap();

    let received = receiver.received();
    assert_eq!(received.traces.len(), 1, "only the accepted request is kept");
    assert!(received.metrics.is_empty() && received.logs.is_empty());
    let refused = received.refused();
    let said = |key: &str| refused.get(key).cloned().unwrap_or_default();
    assert!(said("metrics").starts_with("refused an export of metrics with 401"), "{refused:#?}");
    assert!(said("metrics").contains(TOKEN_HEADER), "{refused:#?}");
    assert!(said("logs").starts_with("refused an export of logs with 415"), "{refused:#?}");
    assert!(said("/v1/traces/v1/traces").starts_with("refused an export to `/v1/traces/v1/traces` with 404"));
    assert!(said("traces").starts_with("refused an export of traces with 400"), "{refused:#?}");
    assert_eq!(refused.len(), 4, "{refused:#?}");
    // The token's value varies by process: it never reaches the document.
    assert!(refused.values().all(|why| !why.contains(&receiver.token)), "{refused:#?}");
    runtime.shutdown_background();
}

#[test]
fn a_signal_of_which_nothing_arrived_is_named() {
    let (receiver, _listener) = Receiver::bind_for(Protocol::HttpProtobuf).unwrap();
    let refused = receiver.received().refused();
    for signal in ["traces", "metrics", "logs"] {
        assert!(
            refused[signal].starts_with(&format!("received no export of {signal}: nothing was sent to /v1/{signal}")),
            "{refused:#?}"
        );
    }
    let env = receiver.env();
    assert_eq!(env[0], ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint.clone()));
    assert_eq!(env[1], ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf".to_string()));
    assert_eq!(env[2], ("OTEL_EXPORTER_OTLP_HEADERS", format!("{TOKEN_HEADER}={}", receiver.token)));
}

/// One log record, as an export request's bytes.
fn one_log_record() -> Vec<u8> {
    let record = LogRecord { severity_text: "INFO".into(), ..LogRecord::default() };
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs { log_records: vec![record], ..ScopeLogs::default() }],
            ..ResourceLogs::default()
        }],
    }
    .encode_to_vec()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// An OTLP/gRPC export of an empty trace request, as tonic's exporter sends it (HTTP/2
/// without TLS), with the token as metadata when given, gzip when asked; its gRPC code.
fn grpc_export(runtime: &tokio::runtime::Runtime, endpoint: &str, token: Option<&str>, gzip: bool) -> tonic::Code {
    runtime.block_on(async {
        let channel = tonic::transport::Endpoint::from_shared(endpoint.to_string()).unwrap().connect().await.unwrap();
        let mut client = TraceServiceClient::new(channel);
        if gzip {
            client = client.send_compressed(CompressionEncoding::Gzip);
        }
        let mut request = tonic::Request::new(ExportTraceServiceRequest::default());
        if let Some(token) = token {
            request.metadata_mut().insert(TOKEN_HEADER, token.parse().unwrap());
        }
        match client.export(request).await {
            Ok(_) => tonic::Code::Ok,
            Err(status) => status.code(),
        }
    })
}

fn serving(protocol: Protocol) -> (tokio::runtime::Runtime, Receiver) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let (receiver, listener) = Receiver::bind_for(protocol).unwrap();
    {
        let _inside = runtime.enter();
        receiver.serve(listener).unwrap();
    }
    (runtime, receiver)
}

#[test]
fn gzip_is_taken_other_compressions_and_an_oversized_body_are_named() {
    let (runtime, receiver) = serving(Protocol::HttpProtobuf);
    let token = receiver.token.clone();
    let endpoint = receiver.endpoint.clone();
    let check = std::thread::spawn(move || {
        let protobuf = ("content-type", "application/x-protobuf");
        let with_token = (TOKEN_HEADER, token.as_str());
        let gzipped = ("content-encoding", "gzip");
        assert_eq!(post(&endpoint, "/v1/logs", &[protobuf, with_token, gzipped], &gzip(&one_log_record())), 200);
        assert_eq!(post(&endpoint, "/v1/traces", &[protobuf, with_token, gzipped], b"\x1f\x8b"), 400, "cut short");
        let huge = vec![0_u8; lab::capture::receiver::BODY_LIMIT + 1];
        assert_eq!(post(&endpoint, "/v1/metrics", &[protobuf, with_token], &huge), 413);
    });
    check.join().unwrap();
    let received = receiver.received();
    assert_eq!(received.arrived().logs, 1, "the gzip body, unpacked: {received:#?}");
    let refused = received.refused();
    let said = |key: &str| refused.get(key).cloned().unwrap_or_default();
    assert!(said("traces").starts_with("refused an export of traces with 400: not gzip"), "{refused:#?}");
    assert!(said("metrics").starts_with("refused an export of metrics with 413"), "{refused:#?}");
    assert_eq!(refused.len(), 2, "{refused:#?}");
    runtime.shutdown_background();

    let (runtime, receiver) = serving(Protocol::HttpProtobuf);
    let (token, endpoint) = (receiver.token.clone(), receiver.endpoint.clone());
    let zstd = std::thread::spawn(move || {
        let headers =
            [("content-type", "application/x-protobuf"), (TOKEN_HEADER, &token), ("content-encoding", "zstd")];
        post(&endpoint, "/v1/traces", &headers, b"")
    });
    assert_eq!(zstd.join().unwrap(), 415);
    let refused = receiver.received().refused();
    assert!(refused["traces"].contains("compressed with `zstd`"), "{refused:#?}");
    runtime.shutdown_background();
}

#[test]
fn grpc_is_taken_plain_and_gzip_when_the_operator_chose_it() {
    let (runtime, receiver) = serving(Protocol::Grpc);
    assert_eq!(receiver.env()[1], ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc".to_string()));
    let token = receiver.token.clone();
    assert_eq!(grpc_export(&runtime, &receiver.endpoint, Some(&token), false), tonic::Code::Ok);
    assert_eq!(grpc_export(&runtime, &receiver.endpoint, Some(&token), true), tonic::Code::Ok);
    assert_eq!(grpc_export(&runtime, &receiver.endpoint, None, false), tonic::Code::Unauthenticated);
    // OTLP/HTTP, when the operator chose gRPC: the code chose the transport.
    let endpoint = receiver.endpoint.clone();
    let http = std::thread::spawn(move || {
        post(&endpoint, "/v1/logs", &[("content-type", "application/x-protobuf"), (TOKEN_HEADER, &token)], b"")
    });
    assert_eq!(http.join().unwrap(), 404);
    let received = receiver.received();
    assert_eq!(received.traces.len(), 2, "{received:#?}");
    let refused = received.refused();
    assert!(refused["traces"].starts_with("refused an export of traces with UNAUTHENTICATED"), "{refused:#?}");
    assert!(refused["traces"].contains(TOKEN_HEADER), "{refused:#?}");
    assert!(
        refused["logs"].starts_with(
            "refused an export of logs that came over http/protobuf while `OTEL_EXPORTER_OTLP_PROTOCOL=grpc` asked for grpc"
        ),
        "{refused:#?}"
    );
    assert!(refused["logs"].contains("`LogExporter::builder().build()`"), "{refused:#?}");
    assert!(refused["metrics"].starts_with("received no export of metrics: nothing was sent to its gRPC service"));
    runtime.shutdown_background();
}

#[test]
fn grpc_is_refused_when_the_operator_chose_http() {
    let (runtime, receiver) = serving(Protocol::HttpProtobuf);
    let code = grpc_export(&runtime, &receiver.endpoint, Some(&receiver.token), false);
    assert_eq!(code, tonic::Code::Unimplemented);
    let refused = receiver.received().refused();
    assert!(
        refused["traces"].starts_with(
            "refused an export of traces that came over grpc while `OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf` asked \
             for http/protobuf: the operator chooses the transport"
        ),
        "{refused:#?}"
    );
    assert!(refused["traces"].contains("`.with_tonic()`"), "{refused:#?}");
    assert!(refused["traces"].contains("`SpanExporter::builder().build()`"), "{refused:#?}");
    assert!(receiver.received().traces.is_empty());
    runtime.shutdown_background();
}
