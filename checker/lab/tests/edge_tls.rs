//! The edge's own OTLP/HTTP client (a real run of exercises 1-18, `cargo run -p checker --
//! run N`) speaks TLS to an `https` collector: its first bytes are a TLS ClientHello. No
//! network: the "collector" is a loopback socket. A file of its own, because the edge reads
//! the operator's variables, which this test sets for its whole process.

use std::io::Read;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use opentelemetry::trace::{Tracer as _, TracerProvider as _};
use opentelemetry_sdk::trace::SdkTracerProvider;

#[test]
fn the_edge_speaks_tls_to_an_https_collector() {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let address = listener.local_addr().unwrap();
    let seen = std::thread::spawn(move || {
        listener.set_nonblocking(true).unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut stream = loop {
            match listener.accept() {
                Ok((stream, _)) => break stream,
                Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
                Err(_) => return None,
            }
        };
        stream.set_nonblocking(false).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut bytes = [0_u8; 3];
        stream.read_exact(&mut bytes).ok()?;
        Some(bytes)
    });
    // SAFETY: the only test of this process, and nothing else runs yet.
    unsafe {
        std::env::set_var("OTEL_EXPORTER_OTLP_ENDPOINT", format!("https://{address}"));
        std::env::set_var("OTEL_EXPORTER_OTLP_TIMEOUT", "2000");
    }
    let edge = lab::Edge::from_env().expect("the edge builds its OTLP exporters for an https endpoint");
    let provider = SdkTracerProvider::builder().with_simple_exporter(edge.spans).build();
    provider.tracer("edge-tls-test").in_span("one", |_| {});
    let _ = provider.shutdown();
    let bytes = seen.join().unwrap().expect("the edge connected to the https endpoint");
    // A TLS record of the handshake type (22), TLS major version 3: a ClientHello.
    assert!(bytes[0] == 0x16 && bytes[1] == 0x03, "expected a TLS ClientHello, got {bytes:02x?}");
}
