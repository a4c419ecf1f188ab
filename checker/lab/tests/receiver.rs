//! The capture's OTLP receiver refuses what a collector with authentication refuses, and
//! says why in the document's words: a request without the operator's header, a body
//! that is not protobuf, a path it does not serve; and it names each signal of which it
//! received nothing.

use std::io::{Read, Write};
use std::net::TcpStream;

use lab::capture::receiver::{Receiver, TOKEN_HEADER};

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
    let (receiver, listener) = Receiver::bind().unwrap();
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
    let (receiver, _listener) = Receiver::bind().unwrap();
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

#[test]
fn compression_an_oversized_body_and_grpc_are_recorded_and_named() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let (receiver, listener) = Receiver::bind().unwrap();
    {
        let _inside = runtime.enter();
        receiver.serve(listener).unwrap();
    }
    let token = receiver.token.clone();
    let endpoint = receiver.endpoint.clone();
    let check = std::thread::spawn(move || {
        let protobuf = ("content-type", "application/x-protobuf");
        let with_token = (TOKEN_HEADER, token.as_str());
        let gzip = ("content-encoding", "gzip");
        assert_eq!(post(&endpoint, "/v1/logs", &[protobuf, with_token, gzip], b"\x1f\x8b"), 415);
        let huge = vec![0_u8; lab::capture::receiver::BODY_LIMIT + 1];
        assert_eq!(post(&endpoint, "/v1/metrics", &[protobuf, with_token], &huge), 413);
    });
    check.join().unwrap();
    // A gRPC exporter: HTTP/2 without TLS (prior knowledge), `application/grpc`.
    let status = runtime.block_on(async {
        let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .http2_only(true)
            .build_http::<http_body_util::Full<axum::body::Bytes>>();
        let request = http::Request::post(format!(
            "{}/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            receiver.endpoint
        ))
        .header("content-type", "application/grpc")
        .body(http_body_util::Full::new(axum::body::Bytes::from_static(b"\0\0\0\0\0")))
        .unwrap();
        client.request(request).await.map(|r| r.status().as_u16())
    });
    assert_eq!(status.unwrap(), 404);

    let refused = receiver.received().refused();
    let said = |key: &str| refused.get(key).cloned().unwrap_or_default();
    assert!(said("logs").starts_with("refused an export of logs with 415: its body was compressed"), "{refused:#?}");
    assert!(said("logs").contains("`content-encoding: gzip`"), "{refused:#?}");
    assert!(said("metrics").starts_with("refused an export of metrics with 413"), "{refused:#?}");
    assert!(said("traces").starts_with("received OTLP/gRPC"), "{refused:#?}");
    assert!(said("traces").contains("graded with http/protobuf"), "{refused:#?}");
    assert_eq!(refused.len(), 3, "said under each signal's name, once: {refused:#?}");
    runtime.shutdown_background();
}
