//! The lab's build speaks TLS to an `https` collector, over both transports: the exporters
//! an operator points at a vendor's `https` endpoint open a TLS connection (rustls), not
//! plain text, and not nothing (a build without a TLS feature sends no request at all over
//! HTTP, and refuses to build over gRPC). No network: the "collector" is a loopback socket
//! that reads the first bytes the exporter sends, a TLS ClientHello.

mod support {
    pub mod tls;
}

use std::net::TcpListener;
use std::time::Duration;

use support::tls::{first_bytes, is_tls_client_hello};

use opentelemetry::trace::{Tracer as _, TracerProvider as _};
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig as _};
use opentelemetry_sdk::trace::SdkTracerProvider;

/// One span exported through `exporter` (a simple processor exports as the span ends).
fn export_one_span(exporter: SpanExporter) {
    let provider = SdkTracerProvider::builder().with_simple_exporter(exporter).build();
    provider.tracer("tls-test").in_span("one", |_| {});
    let _ = provider.shutdown();
}

#[test]
fn an_https_endpoint_gets_a_tls_client_over_http() {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let endpoint = format!("https://{}/v1/traces", listener.local_addr().unwrap());
    let seen = first_bytes(listener);
    let exporter = SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(endpoint)
        .with_timeout(Duration::from_secs(2))
        .build()
        .expect("the HTTP exporter builds for an https endpoint");
    export_one_span(exporter);
    let bytes = seen.join().unwrap().expect("the exporter connected to the https endpoint");
    assert!(is_tls_client_hello(&bytes), "expected a TLS ClientHello, got {bytes:02x?}");
}

#[test]
fn an_https_endpoint_gets_a_tls_client_over_grpc() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let endpoint = format!("https://{}", listener.local_addr().unwrap());
    let seen = first_bytes(listener);
    // tonic's channel is driven by the runtime it was built in.
    let exporter = {
        let _inside = runtime.enter();
        SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .with_timeout(Duration::from_secs(2))
            .build()
            .expect("the gRPC exporter builds a TLS channel for an https endpoint (a TLS feature is on)")
    };
    export_one_span(exporter);
    let bytes = seen.join().unwrap().expect("the exporter connected to the https endpoint");
    assert!(is_tls_client_hello(&bytes), "expected a TLS ClientHello, got {bytes:02x?}");
    runtime.shutdown_background();
}
