//! The edge's own OTLP/HTTP client (a real run of exercises 1-18, `cargo run -p checker --
//! run N`) speaks TLS to an `https` collector: its first bytes are a TLS ClientHello. No
//! network: the "collector" is a loopback socket. A file of its own, because the edge reads
//! the operator's variables, which this test sets for its whole process.

mod support {
    pub mod tls;
}

use std::net::TcpListener;

use support::tls::{first_bytes, is_tls_client_hello};

use opentelemetry::trace::{Tracer as _, TracerProvider as _};
use opentelemetry_sdk::trace::SdkTracerProvider;

/// One test for both transports: the variables are the process's.
#[test]
fn the_edge_speaks_tls_to_an_https_collector_over_both_transports() {
    for protocol in ["http/protobuf", "grpc"] {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let address = listener.local_addr().unwrap();
        let seen = first_bytes(listener);
        // SAFETY: the only test of this process; the previous edge's threads are idle.
        unsafe {
            std::env::set_var("OTEL_EXPORTER_OTLP_ENDPOINT", format!("https://{address}"));
            std::env::set_var("OTEL_EXPORTER_OTLP_PROTOCOL", protocol);
            std::env::set_var("OTEL_EXPORTER_OTLP_TIMEOUT", "2000");
        }
        let edge = lab::Edge::from_env().expect("the edge builds its OTLP exporters for an https endpoint");
        let provider = SdkTracerProvider::builder().with_simple_exporter(edge.spans).build();
        provider.tracer("edge-tls-test").in_span("one", |_| {});
        let _ = provider.shutdown();
        let bytes = seen.join().unwrap().unwrap_or_else(|| panic!("{protocol}: the edge never connected"));
        assert!(is_tls_client_hello(&bytes), "{protocol}: expected a TLS ClientHello, got {bytes:02x?}");
    }
}
