//! The harness survives what learners' code does by accident: setting the global provider
//! twice, leaking a tokio runtime, printing to stdout, emitting thousands of spans. (Threads
//! that never end and `process::exit` are covered by the checker's fixture track, since
//! they concern the capture process as a whole.)

use axum::Router;
use axum::routing::get;
use lab::capture::{self, scenario};
use lab::{Edge, PositionClient, Service, Telemetry};
use opentelemetry::global;
use opentelemetry::trace::{Tracer as _, TracerProvider as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;

/// Spans each `/distance` request makes.
const SPANS_PER_REQUEST: usize = 2_000;

struct Careless;

impl Service for Careless {
    fn telemetry(edge: Edge) -> Telemetry {
        let provider = SdkTracerProvider::builder()
            .with_resource(Resource::builder().with_service_name("careless").build())
            .with_id_generator(edge.ids)
            .with_simple_exporter(edge.spans)
            .build();
        // Twice: the second call replaces the first; nothing breaks.
        global::set_tracer_provider(provider.clone());
        global::set_tracer_provider(provider.clone());
        // A runtime nobody will ever shut down.
        std::mem::forget(tokio::runtime::Builder::new_multi_thread().worker_threads(1).build().unwrap());
        println!("noise on stdout from the learner's setup");
        Telemetry::new(provider)
    }

    fn distance(telemetry: &Telemetry, _position: PositionClient) -> Router {
        let tracer = telemetry.tracer_provider().tracer("careless");
        Router::new()
            .route(
                "/distance/{place}",
                get(move || {
                    let tracer = tracer.clone();
                    async move {
                        println!("more noise");
                        tracer.in_span("GET /distance/{place}", |_| {
                            for _ in 0..SPANS_PER_REQUEST {
                                global::tracer("careless").in_span("tiny", |_| {});
                            }
                        });
                        "ok"
                    }
                }),
            )
            .route("/places", get(|| async { "[]" }))
    }
}

#[test]
fn careless_code_is_still_captured_completely() {
    let document = capture::capture::<Careless>(&scenario::DISTANCE);
    assert_eq!(document.traces.len(), 3, "one trace per /distance request");
    for trace in &document.traces {
        let root = &trace.spans[0];
        assert_eq!(root.name, "GET /distance/{place}");
        assert_eq!(root.children.len(), SPANS_PER_REQUEST, "every tiny span is kept, under its parent");
    }
    assert_eq!(document.span_count(), 3 * (SPANS_PER_REQUEST + 1));
    let again = capture::capture::<Careless>(&scenario::DISTANCE).for_snapshot();
    assert_eq!(again, document.for_snapshot(), "still deterministic with thousands of spans");
}
