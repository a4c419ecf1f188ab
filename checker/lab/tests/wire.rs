//! A capture over the wire gives the same document as one in memory: one probe service,
//! whose pipeline is the same but for its exporters (the edge's in-memory ones, or
//! OTLP/HTTP ones built from the standard variables, as exercise 19 has learners build
//! them), captured both ways. Every kind of telemetry the document holds is in it: two
//! services' spans in one trace, events, links, an error status, typed and array
//! attributes, counters and histograms, log records with a target and a span.
//!
//! One test in this file, on purpose: it sets the process's environment (the variables
//! that point the exporters at the receiver), which is only sound while no other test
//! of the same process runs.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use lab::capture::{self, receiver::Receiver, scenario};
use lab::edge::{Ids, SpanStarts};
use lab::{Edge, PositionClient, Service, Telemetry};
use opentelemetry::context::FutureExt as _;
use opentelemetry::logs::{LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::{Link, SpanKind, Status, TraceContextExt as _, Tracer as _, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::{LogExporter, SdkLoggerProvider};
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanExporter};
use telemetry_document::Document;

/// The probe's pipeline around any exporters: batch processors, a periodic reader, two
/// services with their own providers and id sequences.
fn pipeline(
    (ids, position_ids): (Ids, Ids),
    (starts, position_starts): (SpanStarts, SpanStarts),
    spans: impl SpanExporter + 'static,
    position_spans: impl SpanExporter + 'static,
    metrics: impl PushMetricExporter,
    logs: impl LogExporter + 'static,
) -> Telemetry {
    let resource = |name: &'static str| Resource::builder().with_service_name(name).build();
    let main = SdkTracerProvider::builder()
        .with_resource(resource("probe"))
        .with_id_generator(ids)
        .with_span_processor(starts)
        .with_batch_exporter(spans)
        .build();
    let position = SdkTracerProvider::builder()
        .with_resource(resource("probe-position"))
        .with_id_generator(position_ids)
        .with_span_processor(position_starts)
        .with_batch_exporter(position_spans)
        .build();
    let meter_provider = SdkMeterProvider::builder()
        .with_resource(resource("probe"))
        .with_reader(PeriodicReader::builder(metrics).build())
        .build();
    let logger_provider =
        SdkLoggerProvider::builder().with_resource(resource("probe")).with_batch_exporter(logs).build();
    Telemetry::new(main)
        .with_position_tracer_provider(position)
        .with_meter_provider(meter_provider)
        .with_logger_provider(logger_provider)
}

/// The probe with the edge's in-memory exporters.
struct InMemory;

impl Service for InMemory {
    fn telemetry(edge: Edge) -> Telemetry {
        let Edge { spans, position_spans, metrics, logs, ids, position_ids, starts, position_starts } = edge;
        pipeline((ids, position_ids), (starts, position_starts), spans, position_spans, metrics, logs)
    }

    fn distance(telemetry: &Telemetry, position: PositionClient) -> Router {
        router(telemetry, position)
    }
}

/// The same probe with OTLP/HTTP exporters built from the standard variables alone.
struct OverTheWire;

impl Service for OverTheWire {
    fn telemetry(edge: Edge) -> Telemetry {
        use opentelemetry_otlp::{LogExporter, MetricExporter, SpanExporter};
        let spans = || SpanExporter::builder().with_http().build().expect("an OTLP span exporter");
        let metrics = MetricExporter::builder().with_http().build().expect("an OTLP metric exporter");
        let logs = LogExporter::builder().with_http().build().expect("an OTLP log exporter");
        let (ids, starts) = ((edge.ids, edge.position_ids), (edge.starts, edge.position_starts));
        pipeline(ids, starts, spans(), spans(), metrics, logs)
    }

    fn distance(telemetry: &Telemetry, position: PositionClient) -> Router {
        router(telemetry, position)
    }
}

fn router(telemetry: &Telemetry, position: PositionClient) -> Router {
    Router::new()
        .route("/distance/{place}", get(handler))
        .route("/places", get(|| async { "[]" }))
        .with_state((telemetry.clone(), position))
}

async fn handler(
    State((telemetry, position)): State<(Telemetry, PositionClient)>,
    Path(place): Path<String>,
) -> StatusCode {
    let tracer = telemetry.tracer_provider().tracer("probe");
    let position_tracer = telemetry.position_tracer_provider().tracer("probe-position");
    let meter = telemetry.meter_provider().meter("probe");
    let logger = telemetry.logger_provider().logger("probe");
    // The method at creation, the path later: `at_creation` is told apart over the wire too.
    let server = tracer
        .span_builder("GET /distance/{place}")
        .with_kind(SpanKind::Server)
        .with_attributes([KeyValue::new("http.request.method", "GET")])
        .start(&tracer);
    let cx = Context::current_with_span(server);
    cx.span().set_attribute(KeyValue::new("url.path", "/distance"));
    async {
        let fetched = {
            let client = tracer.span_builder("GET").with_kind(SpanKind::Client).start(&tracer);
            let cx = Context::current_with_span(client);
            let fetched = position.fetch().with_context(cx.clone()).await;
            // The position service's own span, from its own provider, in the same trace.
            position_tracer
                .build_with_context(position_tracer.span_builder("GET /position").with_kind(SpanKind::Server), &cx);
            if let Err(e) = &fetched {
                cx.span().set_status(Status::error(e.to_string()));
            }
            fetched
        };
        let server = Context::current().span().span_context().clone();
        tracer
            .span_builder("compute")
            .with_links(vec![Link::with_context(server)])
            .with_attributes([KeyValue::new("app.round", 1i64)])
            .start(&tracer);
        let cx = Context::current();
        let span = cx.span();
        span.set_attributes([
            KeyValue::new("app.place", place.clone()),
            KeyValue::new("app.ratio", 0.5),
            KeyValue::new("app.known", place != "atlantis"),
            KeyValue::new(
                "app.tags",
                opentelemetry::Value::Array(vec![opentelemetry::StringValue::from("a"), "b".into()].into()),
            ),
            KeyValue::new("app.rounds", opentelemetry::Value::Array(vec![1i64, 2].into())),
        ]);
        span.add_event("looked-up", vec![KeyValue::new("app.place", place.clone())]);
        // As the `tracing` and `log` bridges emit: an empty scope, and the target.
        let bridge = telemetry.logger_provider().logger("");
        let mut record = bridge.create_log_record();
        record.set_severity_number(Severity::Info);
        record.set_target("probe::handler");
        record.set_event_name("distance.asked");
        record.set_body(format!("distance to {place}").into());
        record.add_attribute("app.place", place.clone());
        bridge.emit(record);
        let mut plain = logger.create_log_record();
        plain.set_severity_number(Severity::Warn);
        plain.set_severity_text("WARN");
        plain.set_body("no target".into());
        logger.emit(plain);
        let status = if fetched.is_ok() { 200u16 } else { 502 };
        meter.u64_counter("probe.requests").build().add(1, &[KeyValue::new("status", i64::from(status))]);
        meter.i64_up_down_counter("probe.active").build().add(0, &[]);
        meter.f64_gauge("probe.last").build().record(1.5, &[]);
        meter.f64_histogram("probe.duration").with_unit("s").with_boundaries(vec![0.1, 1.0]).build().record(0.01, &[]);
        StatusCode::from_u16(status).unwrap()
    }
    .with_context(cx)
    .await
}

#[test]
fn a_capture_over_the_wire_gives_the_in_memory_document() {
    // The schedules of a capture (an hour): everything leaves at shutdown, both ways.
    let (receiver, listener) = Receiver::bind().expect("a loopback port");
    for (key, value) in [
        ("OTEL_BSP_SCHEDULE_DELAY", "3600000".to_string()),
        ("OTEL_BLRP_SCHEDULE_DELAY", "3600000".to_string()),
        ("OTEL_METRIC_EXPORT_INTERVAL", "3600000".to_string()),
    ]
    .into_iter()
    .chain(receiver.env())
    {
        // SAFETY: the only test of this process (see the file's comment).
        unsafe { std::env::set_var(key, value) };
    }
    let in_memory = capture::capture::<InMemory>(&scenario::PIPELINE);
    let over_the_wire = capture::capture_over_the_wire::<OverTheWire>(&scenario::PIPELINE, &receiver, listener);
    assert!(over_the_wire.refused.is_empty(), "the receiver refused: {:?}", over_the_wire.refused);
    // What the harness saw of the pipelines: in memory, every edge exporter shut down by the
    // service's way out; over the wire, none of the edge's exporters used.
    let every = ["logs", "metrics", "position traces", "traces"].map(|s| (s.to_string(), true));
    assert_eq!(in_memory.capture_facts.shut_down, Some(every.into_iter().collect()));
    assert!(over_the_wire.capture_facts.in_memory.is_empty(), "{:?}", over_the_wire.capture_facts);

    // Not two empty documents: everything the probe emits is there.
    assert_eq!(in_memory.traces.len(), 6, "one trace per request that reached the handler: {in_memory:#?}");
    assert!(in_memory.spans().iter().any(|(_, s)| s.service.as_deref() == Some("probe-position")));
    assert!(in_memory.spans().iter().any(|(_, s)| !s.links.is_empty()));
    assert!(in_memory.spans().iter().any(|(_, s)| s.at_creation == ["http.request.method"]));
    assert_eq!(in_memory.metrics.len(), 4);
    assert_eq!(in_memory.logs.len(), 10, "two per request that completed");
    assert_eq!(in_memory.delivery.len(), 4, "every signal, position spans too: {:?}", in_memory.delivery);
    // The target, which travels as the scope's name, is read back as the target.
    let targets = |d: &Document| d.logs.iter().map(|l| l.target.clone()).collect::<Vec<_>>();
    assert!(in_memory.logs.iter().any(|l| l.target.as_deref() == Some("probe::handler")));
    assert_eq!(targets(&in_memory), targets(&over_the_wire));

    // The one fact the wire leaves out on purpose: the in-flight look, a metrics flush of the
    // harness's own that over the wire would be an export of its own.
    assert!(!in_memory.while_held.is_empty() && over_the_wire.while_held.is_empty());
    let in_memory = Document { while_held: vec![], ..in_memory };

    // Timings are the same too (nanoseconds travel exactly); the snapshot form is compared
    // as text, so that a failure shows the lines that differ.
    assert_eq!(in_memory.for_snapshot().to_yaml(), over_the_wire.for_snapshot().to_yaml());
}
