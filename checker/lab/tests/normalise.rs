//! The normaliser: a probe service that emits every kind of telemetry the document holds
//! gives the same document on every run, even with captures running in parallel, and
//! that document reads as expected (an insta snapshot, reviewed like code).

use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use lab::capture::{self, scenario};
use lab::{Edge, PositionClient, Service, Telemetry};
use opentelemetry::context::FutureExt as _;
use opentelemetry::logs::{LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::{SpanKind, Status, TraceContextExt as _, Tracer as _, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::SdkTracerProvider;

struct Probe;

impl Service for Probe {
    fn telemetry(edge: Edge) -> Telemetry {
        let resource = Resource::builder().with_service_name("probe").build();
        let tracer_provider = SdkTracerProvider::builder()
            .with_resource(resource.clone())
            .with_id_generator(edge.ids)
            .with_span_processor(edge.starts)
            .with_simple_exporter(edge.spans)
            .build();
        let meter_provider = SdkMeterProvider::builder()
            .with_resource(resource.clone())
            .with_reader(PeriodicReader::builder(edge.metrics).build())
            .build();
        let logger_provider =
            SdkLoggerProvider::builder().with_resource(resource).with_simple_exporter(edge.logs).build();
        Telemetry::new(tracer_provider).with_meter_provider(meter_provider).with_logger_provider(logger_provider)
    }

    fn distance(telemetry: &Telemetry, position: PositionClient) -> Router {
        Router::new()
            .route("/distance/{place}", get(handler))
            .route("/places", get(|| async { "[]" }))
            .with_state((telemetry.clone(), position))
    }
}

async fn handler(
    State((telemetry, position)): State<(Telemetry, PositionClient)>,
    Path(place): Path<String>,
) -> StatusCode {
    let tracer = telemetry.tracer_provider().tracer("probe");
    let meter = telemetry.meter_provider().meter("probe");
    let logger = telemetry.logger_provider().logger("probe");
    // The method given at creation, the path only later: a sampler would see the one only.
    let server = tracer
        .span_builder("GET /distance/{place}")
        .with_kind(SpanKind::Server)
        .with_attributes([KeyValue::new("http.request.method", "GET")])
        .start(&tracer);
    let cx = Context::current_with_span(server);
    async {
        let fetched = {
            let client = tracer.span_builder("GET").with_kind(SpanKind::Client).start(&tracer);
            let cx = Context::current_with_span(client);
            let fetched = position.fetch().with_context(cx.clone()).await;
            if let Err(e) = &fetched {
                cx.span().set_status(Status::error(e.to_string()));
            }
            fetched
        };
        // Two siblings with the same name: positions tell them apart.
        for round in 0..2i64 {
            tracer.in_span("compute", |cx| {
                cx.span().set_attribute(KeyValue::new("app.round", round));
            });
        }
        let cx = Context::current();
        let span = cx.span();
        span.set_attributes([
            KeyValue::new("url.path", format!("/distance/{place}")),
            KeyValue::new("app.place", place.clone()),
            KeyValue::new("app.ratio", 0.5),
            KeyValue::new("app.known", place != "atlantis"),
            KeyValue::new(
                "app.tags",
                opentelemetry::Value::Array(vec![opentelemetry::StringValue::from("a"), "b".into()].into()),
            ),
        ]);
        span.add_event("looked-up", vec![KeyValue::new("app.place", place.clone())]);
        let mut record = logger.create_log_record();
        record.set_severity_number(Severity::Info);
        record.set_severity_text("INFO");
        record.set_body(format!("distance to {place}").into());
        record.add_attribute("app.place", place.clone());
        logger.emit(record);
        let status = if fetched.is_ok() { 200u16 } else { 502 };
        meter.u64_counter("probe.requests").build().add(1, &[KeyValue::new("status", i64::from(status))]);
        meter.f64_histogram("probe.duration").with_unit("s").with_boundaries(vec![0.1, 1.0]).build().record(0.01, &[]);
        StatusCode::from_u16(status).unwrap()
    }
    .with_context(cx)
    .await
}

fn capture() -> telemetry_document::Document {
    capture::capture::<Probe>(&scenario::DISTANCE)
}

#[test]
fn the_same_code_gives_the_same_document_every_time_even_in_parallel() {
    let first = capture().for_snapshot();
    let parallel: Vec<_> = (0..3).map(|_| std::thread::spawn(capture)).collect();
    for run in parallel {
        assert_eq!(run.join().unwrap().for_snapshot(), first);
    }
    assert_eq!(first.traces.len(), 3, "one trace per /distance request: {first:#?}");
}

#[test]
fn captures_keep_relative_timings_for_waterfalls() {
    let document = capture();
    let root = &document.traces[0].spans[0];
    let timing = root.timing.expect("captures carry timings");
    assert_eq!(timing.start_us, 0, "the root starts its trace");
    for child in &root.children {
        let t = child.timing.unwrap();
        assert!(t.start_us + t.duration_us <= timing.duration_us + 1, "children lie within their parent");
    }
    assert!(Duration::from_micros(timing.duration_us) < Duration::from_secs(5));
}

#[test]
fn the_document_reads_as_expected() {
    insta::assert_snapshot!(capture().for_snapshot().to_yaml());
}

#[test]
fn what_a_span_had_at_creation_is_told_from_what_it_got_later() {
    let document = capture();
    let root = &document.traces[0].spans[0];
    assert!(root.attributes.contains_key("url.path"), "{root:#?}");
    assert_eq!(root.at_creation, ["http.request.method"], "url.path came after the start: {root:#?}");
    assert!(!document.capture_facts.starts_unseen);
}

#[test]
fn a_provider_without_the_starts_processor_is_told() {
    // TwoServices builds its main provider without `edge.starts`.
    let document = capture::capture::<TwoServices>(&scenario::DISTANCE);
    assert!(document.capture_facts.starts_unseen);
}

/// Two services, each with its own provider and resource: the position service's spans
/// join the same trace and say which service they come from.
struct TwoServices;

impl Service for TwoServices {
    fn telemetry(edge: Edge) -> Telemetry {
        let main = SdkTracerProvider::builder()
            .with_resource(Resource::builder().with_service_name("probe").build())
            .with_id_generator(edge.ids)
            .with_simple_exporter(edge.spans)
            .build();
        let position = SdkTracerProvider::builder()
            .with_resource(Resource::builder().with_service_name("probe-position").build())
            .with_simple_exporter(edge.position_spans)
            .build();
        Telemetry::new(main).with_position_tracer_provider(position)
    }

    fn distance(telemetry: &Telemetry, _position: PositionClient) -> Router {
        let tracer = telemetry.tracer_provider().tracer("probe");
        let position = telemetry.position_tracer_provider().tracer("probe-position");
        Router::new()
            .route(
                "/distance/{place}",
                get(move || {
                    let (tracer, position) = (tracer.clone(), position.clone());
                    async move {
                        tracer.in_span("GET /distance/{place}", |_| position.in_span("GET /position", |_| {}));
                        "ok"
                    }
                }),
            )
            .route("/places", get(|| async { "[]" }))
    }
}

#[test]
fn a_second_service_s_spans_say_which_service_they_come_from() {
    let document = capture::capture::<TwoServices>(&scenario::DISTANCE);
    assert_eq!(document.resource["service.name"], telemetry_document::Value::String("probe".into()));
    let root = &document.traces[0].spans[0];
    assert_eq!(root.service, None, "the main service's spans need no tag");
    assert_eq!(root.children[0].name, "GET /position");
    assert_eq!(root.children[0].service.as_deref(), Some("probe-position"));
}
