//! What the TLS tests share: a loopback "collector" that reads the first bytes an exporter
//! sends, and what a TLS ClientHello looks like.

use std::io::Read;
use std::net::TcpListener;
use std::time::{Duration, Instant};

/// The first bytes of the first connection to `listener`, or `None` when none came within a
/// generous time (what a build without TLS gives).
pub fn first_bytes(listener: TcpListener) -> std::thread::JoinHandle<Option<Vec<u8>>> {
    std::thread::spawn(move || {
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
        Some(bytes.to_vec())
    })
}

/// A TLS record of the handshake type (22), TLS major version 3: a ClientHello.
pub fn is_tls_client_hello(bytes: &[u8]) -> bool {
    bytes.len() == 3 && bytes[0] == 0x16 && bytes[1] == 0x03
}
