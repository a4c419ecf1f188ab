//! Exercise 19's reference service, run for real with its collector down: it keeps serving,
//! and its stderr says that telemetry was lost (in 0.33 a failed span or log export is not
//! in `shutdown()`'s result: only the SDK's own warning, which the diagnostics layer keeps
//! visible, tells the operator). Loopback only: the "collector" is a port nothing listens on.

#![cfg(unix)] // the service is stopped with SIGTERM, as an operator's supervisor would

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The reference service's executable, built by cargo (already built by the workspace's
/// tests, so this is quick).
fn solution_binary() -> PathBuf {
    let output = Command::new(env!("CARGO"))
        .current_dir(root())
        .args(["build", "-p", "ex19-real-pipeline-solution", "--message-format=json", "--color=never"])
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(output.status.success(), "the solution of exercise 19 does not build");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|m| {
            (m["reason"] == "compiler-artifact" && m["target"]["kind"][0] == "bin")
                .then(|| m["executable"].as_str().map(PathBuf::from))
                .flatten()
        })
        .expect("cargo names the solution's executable")
}

/// `GET path` over HTTP/1.1, once the service listens; the status line.
fn get(port: u16, path: &str, patience: Duration) -> String {
    let start = Instant::now();
    loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(mut stream) => {
                stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
                let mut reply = String::new();
                let _ = stream.read_to_string(&mut reply);
                return reply.lines().next().unwrap_or_default().to_string();
            }
            Err(_) if start.elapsed() < patience => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => panic!("the service never listened on {port}: {e}"),
        }
    }
}

#[test]
fn with_its_collector_down_the_service_keeps_serving_and_says_telemetry_was_lost() {
    let binary = solution_binary();
    let (distance, position, collector) = (free_port(), free_port(), free_port());
    let mut service = Command::new(binary)
        .env("LAB_DISTANCE_ADDR", format!("127.0.0.1:{distance}"))
        .env("LAB_POSITION_ADDR", format!("127.0.0.1:{position}"))
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://127.0.0.1:{collector}"))
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
        // Batches leave soon, so that exports fail while the service runs, and at shutdown.
        .env("OTEL_BSP_SCHEDULE_DELAY", "200")
        .env("OTEL_BLRP_SCHEDULE_DELAY", "200")
        .env_remove("LAB_SCENARIO")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let patience = Duration::from_secs(60);
    let first = get(distance, "/distance/paris", patience);
    let second = get(distance, "/distance/tokyo", patience);
    // SIGTERM: the service's way out, which flushes (and fails to deliver) what it holds.
    unsafe { libc::kill(service.id() as i32, libc::SIGTERM) };
    let stopped = Instant::now();
    while service.try_wait().unwrap().is_none() {
        if stopped.elapsed() > Duration::from_secs(120) {
            let _ = service.kill();
            panic!("the service did not stop within 120 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut stderr = String::new();
    service.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(first.contains(" 200"), "it answered {first:?} with its collector down; stderr:\n{stderr}");
    assert!(second.contains(" 200"), "it answered {second:?} with its collector down; stderr:\n{stderr}");
    // The SDK's own words for a lost export, through the diagnostics layer.
    let lost = stderr
        .lines()
        .filter(|l| l.contains("opentelemetry") && (l.contains("lost") || l.contains("Export")))
        .collect::<Vec<_>>();
    assert!(!lost.is_empty(), "nothing on stderr says that telemetry was lost:\n{stderr}");
}
