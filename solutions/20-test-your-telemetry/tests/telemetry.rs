//! The distance service's telemetry contract: what each request must emit, checked over the
//! SDK's in-memory exporters. Names, kinds, keys, units and parentage; never ids, times or
//! durations.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use lab::service::position;
use lab::{Orbit, PositionClient, Telemetry};
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry::{Key, Value};
use opentelemetry_sdk::logs::{InMemoryLogExporter, SdkLoggerProvider};
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, HistogramDataPoint, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use opentelemetry_semantic_conventions::attribute::{
    ERROR_TYPE, HTTP_REQUEST_METHOD, HTTP_RESPONSE_STATUS_CODE, HTTP_ROUTE,
};
use opentelemetry_semantic_conventions::metric::HTTP_SERVER_REQUEST_DURATION;
use tower::ServiceExt as _;

/// One service with its own providers over in-memory exporters: nothing global, so tests
/// running side by side never see each other's telemetry.
struct Service {
    spans: InMemorySpanExporter,
    metrics: InMemoryMetricExporter,
    logs: InMemoryLogExporter,
    telemetry: Telemetry,
    router: axum::Router,
    position: position::PositionSwitch,
}

impl Service {
    fn start() -> Self {
        let spans = InMemorySpanExporter::default();
        let metrics = InMemoryMetricExporter::default();
        let logs = InMemoryLogExporter::default();
        let tracer_provider = SdkTracerProvider::builder().with_simple_exporter(spans.clone()).build();
        let meter_provider =
            SdkMeterProvider::builder().with_reader(PeriodicReader::builder(metrics.clone()).build()).build();
        let logger_provider = SdkLoggerProvider::builder().with_simple_exporter(logs.clone()).build();
        let telemetry =
            Telemetry::new(tracer_provider).with_meter_provider(meter_provider).with_logger_provider(logger_provider);
        let (client, switch) = PositionClient::in_process(position::router(Orbit::checker()));
        let router = lab::reference::router(&telemetry, client);
        Service { spans, metrics, logs, telemetry, router, position: switch }
    }

    async fn get(&self, path: &str) -> StatusCode {
        let request = Request::get(path).body(Body::empty()).unwrap();
        self.router.clone().oneshot(request).await.unwrap().status()
    }

    fn spans(&self) -> Vec<SpanData> {
        self.spans.get_finished_spans().unwrap()
    }

    fn server_span(&self) -> SpanData {
        let mut servers: Vec<SpanData> = self.spans().into_iter().filter(|s| s.span_kind == SpanKind::Server).collect();
        assert_eq!(servers.len(), 1, "one server span per request; got {:?}", names(&servers));
        servers.remove(0)
    }

    /// The histogram's points, after a flush of the meter provider.
    fn durations(&self) -> (String, Vec<HistogramDataPoint<f64>>) {
        self.telemetry.meter_provider().force_flush().unwrap();
        let exported = self.metrics.get_finished_metrics().unwrap();
        let last = exported.last().expect("the flush exported metrics");
        let metric = last
            .scope_metrics()
            .flat_map(|s| s.metrics())
            .find(|m| m.name() == HTTP_SERVER_REQUEST_DURATION)
            .expect("the request duration histogram");
        let AggregatedMetrics::F64(MetricData::Histogram(histogram)) = metric.data() else {
            panic!("{HTTP_SERVER_REQUEST_DURATION} is not an f64 histogram: {:?}", metric.data());
        };
        (metric.unit().to_string(), histogram.data_points().cloned().collect())
    }
}

fn names(spans: &[SpanData]) -> Vec<&str> {
    spans.iter().map(|s| s.name.as_ref()).collect()
}

fn attribute(span: &SpanData, key: &str) -> Option<Value> {
    span.attributes.iter().find(|kv| kv.key == Key::from(key.to_owned())).map(|kv| kv.value.clone())
}

#[tokio::test]
async fn a_request_is_one_server_span_named_after_its_route_with_the_http_attributes() {
    let service = Service::start();
    assert_eq!(service.get("/distance/paris").await, StatusCode::OK);

    let span = service.server_span();
    assert_eq!(span.name, "GET /distance/{place}");
    assert_eq!(attribute(&span, HTTP_REQUEST_METHOD), Some(Value::from("GET")));
    assert_eq!(attribute(&span, HTTP_ROUTE), Some(Value::from("/distance/{place}")));
    assert_eq!(attribute(&span, HTTP_RESPONSE_STATUS_CODE), Some(Value::I64(200)));
    assert_eq!(span.status, Status::Unset);
}

#[tokio::test]
async fn a_failure_of_the_server_is_marked_on_its_span() {
    let service = Service::start();
    service.position.set_down(true);
    assert_eq!(service.get("/distance/paris").await, StatusCode::BAD_GATEWAY);

    let span = service.server_span();
    assert!(matches!(span.status, Status::Error { .. }), "a 502's server span has status error: {:?}", span.status);
    assert_eq!(attribute(&span, ERROR_TYPE), Some(Value::from("position_unavailable")));
    assert_eq!(attribute(&span, HTTP_RESPONSE_STATUS_CODE), Some(Value::I64(502)));
}

#[tokio::test]
async fn a_404_is_the_callers_mistake_and_leaves_the_status_unset() {
    let service = Service::start();
    assert_eq!(service.get("/distance/atlantis").await, StatusCode::NOT_FOUND);

    let span = service.server_span();
    assert_eq!(span.status, Status::Unset);
    assert_eq!(attribute(&span, ERROR_TYPE), None);
    assert_eq!(attribute(&span, HTTP_RESPONSE_STATUS_CODE), Some(Value::I64(404)));
}

#[tokio::test]
async fn the_duration_histogram_has_one_point_per_request_in_seconds() {
    let service = Service::start();
    service.get("/distance/paris").await;
    service.get("/distance/atlantis").await;

    let (unit, points) = service.durations();
    assert_eq!(unit, "s");
    assert_eq!(points.iter().map(|p| p.count()).sum::<u64>(), 2, "one point per request");
    // The success waits for the position service, which takes 20 ms in process: in
    // seconds, at least 0.02 and far below 10 on any machine; in milliseconds, 20 or more.
    let ok = points
        .iter()
        .find(|p| p.attributes().any(|kv| kv.key.as_str() == HTTP_RESPONSE_STATUS_CODE && kv.value == Value::I64(200)))
        .expect("a point for the 200");
    assert!((0.02..10.0).contains(&ok.sum()), "the 200 took {} s?", ok.sum());
}

#[tokio::test]
async fn the_spawned_work_is_a_child_of_the_server_span() {
    let service = Service::start();
    service.get("/distance/paris").await;

    let server = service.server_span();
    let spans = service.spans();
    let child = spans.iter().find(|s| s.name == "compute distance").expect("a span for the spawned work");
    assert_eq!(child.span_context.trace_id(), server.span_context.trace_id(), "in the request's trace");
    assert_eq!(child.parent_span_id, server.span_context.span_id(), "a child of the server span");
}

#[tokio::test]
async fn the_log_record_carries_the_ids_of_its_request_span() {
    let service = Service::start();
    service.get("/distance/paris").await;

    let server = service.server_span();
    let logs = service.logs.get_emitted_logs().unwrap();
    let record =
        &logs.iter().find(|l| l.record.event_name() == Some("place.resolved")).expect("a place.resolved record").record;
    let context = record.trace_context().expect("the record carries a trace context");
    assert_eq!(context.trace_id, server.span_context.trace_id());
    assert_eq!(context.span_id, server.span_context.span_id());
}
