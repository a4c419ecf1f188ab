//! A real run exports over OTLP to a real collector: rotel, over HTTP/protobuf and gRPC.
//!
//! Ignored by default: it needs the rotel collector (a Python wheel holding a Rust binary)
//! and a build of each solution it runs. When it does run and rotel is missing, it FAILS:
//!
//! ```sh
//! pip install --pre rotel        # or set ROTEL_AGENT=/path/to/rotel-agent
//! cargo test -p lab --test otlp_collector -- --ignored
//! ```
//!
//! Each check starts rotel on free loopback ports, printing everything it receives
//! (`--debug-log traces|metrics|logs`), starts a service with
//! `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at it, sends a few requests over TCP, stops the
//! service with SIGTERM (which flushes its telemetry) and looks for the expected spans,
//! metrics, log records and `service.name` in rotel's output.
//!
//! Two kinds of service: the solutions listed in [`SOLUTIONS`] (add the last exercise,
//! which emits all three signals, there), and this test binary's own [`all_signals`]
//! service, which already emits spans, metrics and logs, with simple or batch processors
//! and an unfiltered `tracing` log bridge (the case where an exporter's own logs could
//! feed back into the pipeline).
#![cfg(unix)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What a solution is expected to send: `cargo run -p <package>` serves it.
struct Expected {
    package: &'static str,
    service_name: &'static str,
    spans: &'static [&'static str],
    metrics: &'static [&'static str],
    logs: &'static [&'static str],
}

/// The solutions whose real run is checked against a collector, in track order: the first
/// one, the first with a span per request, and (to add when it exists) the last one, which
/// emits all three signals.
const SOLUTIONS: &[Expected] = &[
    Expected {
        package: "ex01-resource-solution",
        service_name: "iss-distance",
        spans: &["load-places"],
        metrics: &[],
        logs: &[],
    },
    Expected {
        package: "ex03-first-span-solution",
        service_name: "iss-distance",
        spans: &["load-places", "GET /distance/{place}"],
        metrics: &[],
        logs: &[],
    },
    Expected {
        package: "ex10-log-bridging-solution",
        service_name: "iss-distance",
        spans: &["load-places", "GET /distance/{place}", "GET", "compute-distance"],
        metrics: &["iss.requests", "http.server.request.duration", "http.server.active_requests"],
        logs: &["places loaded", "place resolved"],
    },
];

/// What this binary's own service sends (see [`all_signals`]).
const ALL_SIGNALS: Expected = Expected {
    package: "(this test binary)",
    service_name: all_signals::SERVICE_NAME,
    spans: &["startup", "handle-distance"],
    metrics: &["lab.test.requests"],
    logs: &["distance asked"],
};

#[derive(Debug, Clone, Copy)]
enum Protocol {
    Http,
    Grpc,
}

#[test]
#[ignore = "needs the rotel collector (pip install --pre rotel); CI runs it with --ignored"]
fn solutions_export_over_http() {
    for expected in SOLUTIONS {
        check(&Service::Package(expected.package), Protocol::Http, expected);
    }
}

#[test]
#[ignore = "needs the rotel collector (pip install --pre rotel); CI runs it with --ignored"]
fn solutions_export_over_grpc() {
    for expected in SOLUTIONS {
        check(&Service::Package(expected.package), Protocol::Grpc, expected);
    }
}

#[test]
#[ignore = "needs the rotel collector (pip install --pre rotel); CI runs it with --ignored"]
fn all_signals_simple_processors_over_http() {
    check(&Service::AllSignals("simple"), Protocol::Http, &ALL_SIGNALS);
}

#[test]
#[ignore = "needs the rotel collector (pip install --pre rotel); CI runs it with --ignored"]
fn all_signals_simple_processors_over_grpc() {
    check(&Service::AllSignals("simple"), Protocol::Grpc, &ALL_SIGNALS);
}

#[test]
#[ignore = "needs the rotel collector (pip install --pre rotel); CI runs it with --ignored"]
fn all_signals_batch_processors_over_http() {
    check(&Service::AllSignals("batch"), Protocol::Http, &ALL_SIGNALS);
}

#[test]
#[ignore = "needs the rotel collector (pip install --pre rotel); CI runs it with --ignored"]
fn all_signals_batch_processors_over_grpc() {
    check(&Service::AllSignals("batch"), Protocol::Grpc, &ALL_SIGNALS);
}

/// No collector at all: the service still answers promptly, says why nothing arrives, and
/// still stops on SIGTERM.
#[test]
#[ignore = "needs the rotel collector (pip install --pre rotel); CI runs it with --ignored"]
fn no_collector_neither_hangs_nor_panics() {
    for protocol in [Protocol::Http, Protocol::Grpc] {
        for processors in ["simple", "batch"] {
            let what = format!("{processors} processors over {protocol:?} with no collector");
            let dir = Scratch::new();
            let endpoint = format!("http://{}", free_addr());
            let mut service = start_service(&Service::AllSignals(processors), &endpoint, protocol, &dir);
            for path in ["/distance/paris", "/distance/atlantis", "/distance/tokyo"] {
                let start = Instant::now();
                if let Err(e) = get(service.distance, path) {
                    panic!("{what}: GET {path}: {e}\n{}", dir.read("service.log"));
                }
                let took = start.elapsed();
                assert!(took < Duration::from_secs(5), "{what}: GET {path} took {took:?}\n{}", dir.read("service.log"));
            }
            let status = stop(&mut service.child, Duration::from_secs(20))
                .unwrap_or_else(|e| panic!("{what}: {e}\n{}", dir.read("service.log")));
            let log = dir.read("service.log");
            assert!(status.success(), "{what}: the service failed ({status}):\n{log}");
            assert!(!log.contains("panicked"), "{what}: a panic:\n{log}");
            assert!(log.contains("lab: OTLP"), "{what}: the failed export was not reported on stderr:\n{log}");
        }
    }
}

/// Not a test: the service [`Service::AllSignals`] runs, when this binary is started again
/// with `LAB_OTLP_TEST_CHILD` set. Does nothing otherwise.
#[test]
#[ignore = "started by the other tests of this file, as a child process"]
fn child_service() {
    if let Some(processors) = std::env::var_os(all_signals::CHILD) {
        all_signals::set_processors(processors.to_string_lossy().into_owned());
        let code = lab::run::<all_signals::AllSignals>();
        std::process::exit(if code == std::process::ExitCode::SUCCESS { 0 } else { 1 });
    }
}

enum Service {
    /// A workspace package's binary, built with cargo.
    Package(&'static str),
    /// This test binary's own service, with "simple" or "batch" processors.
    AllSignals(&'static str),
}

/// Runs `service` against a fresh rotel over `protocol`, asserts that rotel received
/// everything `expected` lists.
fn check(service: &Service, protocol: Protocol, expected: &Expected) {
    let what = format!("{} over {protocol:?}", expected.package);
    let dir = Scratch::new();
    let rotel = Rotel::start(&dir);
    let endpoint = match protocol {
        Protocol::Http => format!("http://{}", rotel.http),
        Protocol::Grpc => format!("http://{}", rotel.grpc),
    };
    let mut service = start_service(service, &endpoint, protocol, &dir);
    let service_log = || dir.read("service.log");

    for path in ["/distance/paris", "/distance/atlantis", "/distance/tokyo"] {
        if let Err(e) = get(service.distance, path) {
            panic!("{what}: GET {path}: {e}\n--- service:\n{}", service_log());
        }
    }
    match stop(&mut service.child, Duration::from_secs(20)) {
        Ok(status) if status.success() => {}
        Ok(status) => panic!("{what}: the service exited with {status} after SIGTERM\n--- service:\n{}", service_log()),
        Err(e) => panic!("{what}: {e}\n--- service:\n{}", service_log()),
    }

    let mut wanted = vec![format!("service.name: Str({})", expected.service_name)];
    wanted.extend(expected.spans.iter().map(|s| format!("Name           : {s}")));
    wanted.extend(expected.metrics.iter().map(|m| format!("Name: {m}")));
    wanted.extend(expected.logs.iter().map(|l| format!("Body: Str({l})")));
    // rotel prints what it received as it batches it: give it a moment.
    let output = rotel.wait_for(&wanted, Duration::from_secs(10));
    let missing: Vec<_> = wanted.iter().filter(|w| !output.contains(w.as_str())).collect();
    assert!(
        missing.is_empty(),
        "{what}: rotel did not receive {missing:?}\n--- rotel:\n{output}\n--- service:\n{}",
        service_log()
    );
    let log = service_log();
    assert!(!log.contains("panicked"), "{what}: the service panicked:\n{log}");
    assert!(!log.contains("lab: OTLP"), "{what}: an export failed:\n{log}");
}

struct Running {
    child: Killed,
    distance: SocketAddr,
}

fn start_service(service: &Service, endpoint: &str, protocol: Protocol, dir: &Scratch) -> Running {
    let (distance, position) = (free_addr(), free_addr());
    let mut command = match service {
        Service::Package(package) => Command::new(build(package)),
        Service::AllSignals(processors) => {
            let mut c = Command::new(std::env::current_exe().expect("the test binary's path"));
            c.args(["child_service", "--exact", "--ignored", "--nocapture", "--test-threads=1"]);
            c.env(all_signals::CHILD, processors);
            c
        }
    };
    // Only this test's OTLP settings: the dev container sets some of its own.
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("OTEL_") {
            command.env_remove(key);
        }
    }
    command
        .env_remove("LAB_CAPTURE_OUT")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        .env(
            "OTEL_EXPORTER_OTLP_PROTOCOL",
            match protocol {
                Protocol::Http => "http/protobuf",
                Protocol::Grpc => "grpc",
            },
        )
        .env("OTEL_EXPORTER_OTLP_TIMEOUT", "3000")
        .env("LAB_DISTANCE_ADDR", distance.to_string())
        .env("LAB_POSITION_ADDR", position.to_string())
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(dir.file("service.log"))
        .stderr(dir.file("service.log"));
    let child = Killed(command.spawn().expect("the service starts"));
    let mut running = Running { child, distance };
    if let Err(e) = wait_until_listening(&mut running.child, distance, Duration::from_secs(10)) {
        panic!("the service did not start listening: {e}\n--- service:\n{}", dir.read("service.log"));
    }
    running
}

/// The executable of `package`, built once per test process with the workspace's cargo.
fn build(package: &str) -> PathBuf {
    static BUILT: OnceLock<std::sync::Mutex<Vec<(String, PathBuf)>>> = OnceLock::new();
    let built = BUILT.get_or_init(Default::default);
    let mut built = built.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, path)) = built.iter().find(|(p, _)| p == package) {
        return path.clone();
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut cargo = Killed(
        Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--message-format=json-render-diagnostics", "-p", package])
            .current_dir(&workspace)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("cargo starts"),
    );
    // A cold build of the whole stack takes minutes on 2 cores: a generous bound.
    let mut stdout = cargo.0.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let status = wait(&mut cargo, Duration::from_secs(900)).unwrap_or_else(|e| panic!("cargo build -p {package}: {e}"));
    let json = reader.join().unwrap_or_default();
    assert!(status.success(), "cargo build -p {package} failed ({status})");
    let executable = json
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| {
            m["reason"] == "compiler-artifact"
                && m["target"]["kind"].as_array().is_some_and(|k| k.iter().any(|k| k == "bin"))
        })
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo build -p {package} built no binary"));
    built.push((package.to_string(), executable.clone()));
    executable
}

/// The rotel collector, printing everything it receives into `rotel.log`.
struct Rotel<'a> {
    child: Killed,
    http: SocketAddr,
    grpc: SocketAddr,
    dir: &'a Scratch,
}

impl<'a> Rotel<'a> {
    fn start(dir: &'a Scratch) -> Self {
        let agent = rotel_agent();
        let (http, grpc) = (free_addr(), free_addr());
        let spawned = Command::new(&agent)
            .arg("start")
            .args(["--otlp-http-endpoint", &http.to_string(), "--otlp-grpc-endpoint", &grpc.to_string()])
            .args(["--exporter", "blackhole", "--debug-log-verbosity", "detailed"])
            .args(["--debug-log", "traces", "--debug-log", "metrics", "--debug-log", "logs"])
            // Not the shared defaults in /tmp: checks run in parallel.
            .arg("--pid-file")
            .arg(dir.path("rotel.pid"))
            .arg("--log-file")
            .arg(dir.path("rotel-agent.log"))
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(dir.file("rotel.log"))
            .stderr(dir.file("rotel.log"))
            .spawn();
        let child = match spawned {
            Ok(child) => Killed(child),
            Err(e) => panic!("cannot start rotel at {}: {e}\n{}", agent.display(), HOW_TO_INSTALL),
        };
        let mut rotel = Rotel { child, http, grpc, dir };
        for addr in [http, grpc] {
            if let Err(e) = wait_until_listening(&mut rotel.child, addr, Duration::from_secs(10)) {
                panic!("rotel did not start listening on {addr}: {e}\n--- rotel:\n{}", dir.read("rotel.log"));
            }
        }
        rotel
    }

    /// rotel's output once it contains every one of `wanted`, or after `limit`.
    fn wait_for(&self, wanted: &[String], limit: Duration) -> String {
        let start = Instant::now();
        loop {
            let output = self.dir.read("rotel.log");
            if wanted.iter().all(|w| output.contains(w.as_str())) || start.elapsed() > limit {
                return output;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Rotel<'_> {
    fn drop(&mut self) {
        let _ = stop(&mut self.child, Duration::from_secs(5));
    }
}

const HOW_TO_INSTALL: &str = "This test needs the rotel OpenTelemetry collector: install it with \
     `pip install --pre rotel` (the binary is site-packages/rotel/rotel-agent), or set \
     ROTEL_AGENT to the path of a rotel-agent binary.";

/// `$ROTEL_AGENT`, or the binary inside the `rotel` Python package.
fn rotel_agent() -> PathBuf {
    if let Some(path) = std::env::var_os("ROTEL_AGENT") {
        let path = PathBuf::from(path);
        assert!(path.is_file(), "ROTEL_AGENT={} is not a file. {HOW_TO_INSTALL}", path.display());
        return path;
    }
    let found = Command::new("python3")
        .args(["-c", "import rotel, os; print(os.path.dirname(rotel.__file__))"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output();
    let dir = match found {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        Ok(_) => panic!("python3 cannot import rotel. {HOW_TO_INSTALL}"),
        Err(e) => panic!("cannot run python3 to find rotel: {e}. {HOW_TO_INSTALL}"),
    };
    let agent = Path::new(&dir).join("rotel-agent");
    assert!(agent.is_file(), "no rotel-agent in {dir}. {HOW_TO_INSTALL}");
    agent
}

/// A loopback address nothing listens on (yet).
fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free loopback port")
}

fn wait_until_listening(child: &mut Killed, addr: SocketAddr, limit: Duration) -> Result<(), String> {
    let start = Instant::now();
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.0.try_wait() {
            return Err(format!("it exited with {status}"));
        }
        if start.elapsed() > limit {
            return Err(format!("nothing on {addr} after {limit:?}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `GET path` over HTTP/1.1; Ok with the status line for any HTTP answer.
fn get(addr: SocketAddr, path: &str) -> Result<String, String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(|e| format!("connect: {e}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(15))).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(Duration::from_secs(2))).map_err(|e| e.to_string())?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("send: {e}"))?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).map_err(|e| format!("no complete answer: {e} (got {answer:?})"))?;
    let status = answer.lines().next().unwrap_or_default().to_string();
    if status.starts_with("HTTP/1.1 ") { Ok(status) } else { Err(format!("not an HTTP answer: {answer:?}")) }
}

/// SIGTERM, then wait at most `limit` for the exit.
fn stop(child: &mut Killed, limit: Duration) -> Result<std::process::ExitStatus, String> {
    if let Ok(Some(status)) = child.0.try_wait() {
        return Ok(status);
    }
    let sent = Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status();
    if !sent.is_ok_and(|s| s.success()) {
        return Err("cannot send SIGTERM (the `kill` command failed)".into());
    }
    wait(child, limit).map_err(|e| format!("after SIGTERM: {e}"))
}

fn wait(child: &mut Killed, limit: Duration) -> Result<std::process::ExitStatus, String> {
    let start = Instant::now();
    loop {
        match child.0.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if start.elapsed() > limit => {
                return Err(format!("still running after {limit:?} (killed)"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// A child process that is killed when dropped: a failed assertion leaves nothing behind.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// A scratch directory for one check's output files, removed afterwards.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("lab-otlp-collector-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// `name`, opened for appending: stdout and stderr can share it.
    fn file(&self, name: &str) -> std::fs::File {
        std::fs::OpenOptions::new().create(true).append(true).open(self.path(name)).expect("a scratch file")
    }

    fn read(&self, name: &str) -> String {
        std::fs::read(self.path(name)).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A service that emits all three signals, through the same [`lab::Edge`] as the
/// exercises: spans (one ended on the main thread at startup, one per request on a tokio
/// worker), a counter read by a `PeriodicReader`, and log records through an unfiltered
/// `tracing` bridge, with simple or batch processors.
mod all_signals {
    use std::sync::OnceLock;

    use axum::Router;
    use axum::extract::{Path, State};
    use axum::routing::get;
    use lab::{Edge, PositionClient, Telemetry};
    use opentelemetry::metrics::{Counter, MeterProvider as _};
    use opentelemetry::trace::{FutureExt as _, TraceContextExt as _, Tracer as _, TracerProvider as _};
    use opentelemetry::{Context, KeyValue};
    use opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge;
    use opentelemetry_sdk::Resource;
    use opentelemetry_sdk::logs::SdkLoggerProvider;
    use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
    use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
    use tracing_subscriber::layer::SubscriberExt as _;

    pub const SERVICE_NAME: &str = "otlp-collector-test";
    /// Set (to "simple" or "batch") in the child process that serves this service.
    pub const CHILD: &str = "LAB_OTLP_TEST_CHILD";

    static PROCESSORS: OnceLock<String> = OnceLock::new();

    pub fn set_processors(processors: String) {
        let _ = PROCESSORS.set(processors);
    }

    pub struct AllSignals;

    #[derive(Clone)]
    struct AppState {
        tracer: SdkTracer,
        requests: Counter<u64>,
        position: PositionClient,
    }

    impl lab::Service for AllSignals {
        fn telemetry(edge: Edge) -> Telemetry {
            let resource = Resource::builder().with_service_name(SERVICE_NAME).build();
            let batch = PROCESSORS.get().is_some_and(|p| p == "batch");
            let tracer_provider =
                SdkTracerProvider::builder().with_resource(resource.clone()).with_id_generator(edge.ids);
            let tracer_provider = if batch {
                tracer_provider.with_batch_exporter(edge.spans)
            } else {
                tracer_provider.with_simple_exporter(edge.spans)
            };
            let logger_provider = SdkLoggerProvider::builder().with_resource(resource.clone());
            let logger_provider = if batch {
                logger_provider.with_batch_exporter(edge.logs)
            } else {
                logger_provider.with_simple_exporter(edge.logs)
            };
            let logger_provider = logger_provider.build();
            let meter_provider = SdkMeterProvider::builder()
                .with_resource(resource)
                .with_reader(PeriodicReader::builder(edge.metrics).build())
                .build();
            // Deliberately no filter: every crate's events, the exporters' own included,
            // reach the bridge. The edge must keep those out (no feedback, no deadlock).
            let subscriber = tracing_subscriber::registry().with(OpenTelemetryTracingBridge::new(&logger_provider));
            tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
            Telemetry::new(tracer_provider.build())
                .with_meter_provider(meter_provider)
                .with_logger_provider(logger_provider)
        }

        fn distance(telemetry: &Telemetry, position: PositionClient) -> Router {
            let tracer = telemetry.tracer_provider().tracer("otlp-collector-test");
            // Ended on the thread that builds the router, inside the service's runtime.
            tracer.in_span("startup", |_| tracing::info!("starting"));
            let requests =
                telemetry.meter_provider().meter("otlp-collector-test").u64_counter("lab.test.requests").build();
            let state = AppState { tracer, requests, position };
            Router::new().route("/distance/{place}", get(distance)).with_state(state)
        }
    }

    async fn distance(State(app): State<AppState>, Path(place): Path<String>) -> String {
        let cx = Context::current_with_span(app.tracer.start("handle-distance"));
        {
            let _active = cx.clone().attach();
            tracing::info!(place = place.as_str(), "distance asked");
        }
        let iss = app.position.fetch().with_context(cx.clone()).await;
        app.requests.add(1, &[KeyValue::new("outcome", if iss.is_ok() { "ok" } else { "error" })]);
        cx.span().end();
        format!("{place}: {}\n", if iss.is_ok() { "ok" } else { "position service down" })
    }
}
