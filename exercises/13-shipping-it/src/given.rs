//! Done in earlier exercises: the services' names and resources, with the operator's
//! `OTEL_*` variables (exercise 1), and the bridges from `tracing` and `log` to the logs
//! pipeline (exercise 10). You do not need to edit this file: exercise 13 is in
//! `telemetry.rs`.

use opentelemetry::KeyValue;
use opentelemetry_appender_log::OpenTelemetryLogBridge;
use opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::resource::EnvResourceDetector;
use opentelemetry_semantic_conventions::resource::{DEPLOYMENT_ENVIRONMENT_NAME, SERVICE_NAME, SERVICE_VERSION};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::prelude::*;

/// The distance service's name: its resource's `service.name` and its instrumentation scope.
pub(crate) const DISTANCE_SERVICE: &str = "iss-distance";
/// The position service's name, for its own resource and scope.
pub(crate) const POSITION_SERVICE: &str = "iss-position";

/// Who is emitting: attached to every span, metric and log record this service exports.
/// The code gives defaults; the operator's standard variables win over them.
pub fn resource() -> Resource {
    service_resource(DISTANCE_SERVICE)
}

/// A service's resource: its name, and the version and environment it shares with the other,
/// as defaults that the operator's standard variables win over.
pub(crate) fn service_resource(name: &'static str) -> Resource {
    // The SDK's own first (`telemetry.sdk.*`, and `unknown_service:<program>` as a last
    // resort name), then the code's defaults over them.
    Resource::builder()
        .with_service_name(name)
        .with_attributes([
            KeyValue::new(SERVICE_VERSION, env!("CARGO_PKG_VERSION")),
            KeyValue::new(DEPLOYMENT_ENVIRONMENT_NAME, "development"),
        ])
        // Then what the operator set, merged over them (a later value wins): the attributes
        // of `OTEL_RESOURCE_ATTRIBUTES` (`key=value,...`), then `OTEL_SERVICE_NAME`, which
        // ranks above a `service.name` there. (`builder()` read them first too, which alone
        // would let the code's values win.)
        .with_detector(Box::new(EnvResourceDetector::new()))
        // `OTEL_SERVICE_NAME` names this process's own service, the distance one (the
        // position service stands for another process, which has variables of its own).
        .with_attributes(service_name_from_env().filter(|_| name == DISTANCE_SERVICE))
        .build()
}

/// `service.name` from `OTEL_SERVICE_NAME`, when the operator set it. (The SDK's own
/// `SdkProvidedResourceDetector` reads it too, but when it is unset falls back to
/// `unknown_service:<program>`, which would replace the code's name.)
pub(crate) fn service_name_from_env() -> Option<KeyValue> {
    std::env::var("OTEL_SERVICE_NAME")
        .ok()
        .filter(|name| !name.is_empty())
        .map(|name| KeyValue::new(SERVICE_NAME, name))
}

/// The SDK's own warnings (an `OTEL_*` value it cannot use, an export that failed, a full
/// queue), on stderr. They are `tracing` events under its crates' names (`opentelemetry_sdk`,
/// `opentelemetry-otlp`, ...; `Targets` matches by prefix), which the bridge's filter keeps
/// off; and `shutdown()` does not report a failed span or log export: this is the only place
/// it shows. A layer of their own, apart from the bridge, so telemetry about telemetry never
/// loops back into the pipeline.
pub(crate) fn diagnostics<S>() -> impl Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(Targets::new().with_target("opentelemetry", LevelFilter::WARN))
}

/// Sends the service's log records, written the Rust way with `tracing` and `log`, to the
/// logger provider: the bridges (appenders) turn each one into an OpenTelemetry log record.
///
/// A process has one global `tracing` subscriber and one global `log` logger, so this runs
/// once per process (a real run, or one capture of the checker).
pub(crate) fn bridge_logs(logger_provider: &SdkLoggerProvider) {
    // What the bridge lets through: INFO and above, and nothing at all from the telemetry
    // stack itself. The SDK and the exporters' network crates log with `tracing` too: let
    // them through and the pipeline exports its own chatter, record after record.
    let filter = Targets::new().with_default(LevelFilter::INFO).with_targets(
        ["opentelemetry", "h2", "hyper", "tonic", "tower", "reqwest"].map(|target| (target, LevelFilter::OFF)),
    );
    let tracing_bridge = OpenTelemetryTracingBridge::new(logger_provider).with_filter(filter);
    // `set_global_default`, not `.init()`: with tracing-subscriber's default features,
    // `init` would also make `log` records into `tracing` events (`tracing-log`), and the
    // `log` bridge below could not be installed.
    if let Err(e) =
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(tracing_bridge).with(diagnostics()))
    {
        eprintln!("tracing records are not bridged: {e}");
    }
    // The `log` crate has a bridge of its own. `log` records nothing until its maximum
    // level is set: it is `Off` by default.
    match log::set_boxed_logger(Box::new(OpenTelemetryLogBridge::new(logger_provider))) {
        Ok(()) => log::set_max_level(log::LevelFilter::Info),
        Err(e) => eprintln!("log records are not bridged: {e}"),
    }
}
