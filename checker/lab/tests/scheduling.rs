//! No thread timing decides a fact: a task the handler does not wait for (a job sent
//! fire-and-forget) runs where the service next waits, never beside the handler, so the
//! same code gives the same document on every run, and the job's span always ends after
//! the request's. On a runtime of two worker threads the job raced the handler, and its
//! span lay within its parent in some runs only.

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use lab::capture::{self, scenario};
use lab::{Edge, PositionClient, Service, Telemetry};
use opentelemetry::Context;
use opentelemetry::trace::{Span as _, SpanKind, TraceContextExt as _, Tracer as _, TracerProvider as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use telemetry_document::{Document, TimeFact};

/// A handler that asks the position service, then hands a job to a task of its own and
/// answers at once, without waiting for it.
struct FireAndForget;

impl Service for FireAndForget {
    fn telemetry(edge: Edge) -> Telemetry {
        let provider = SdkTracerProvider::builder()
            .with_resource(Resource::builder().with_service_name("fire-and-forget").build())
            .with_id_generator(edge.ids)
            .with_simple_exporter(edge.spans)
            .build();
        Telemetry::new(provider)
    }

    fn distance(telemetry: &Telemetry, position: PositionClient) -> Router {
        let tracer = telemetry.tracer_provider().tracer("fire-and-forget");
        Router::new().route(
            "/distance/{place}",
            get(move || {
                let (tracer, position) = (tracer.clone(), position.clone());
                async move {
                    let span = tracer.span_builder("GET /distance/{place}").with_kind(SpanKind::Server).start(&tracer);
                    let cx = Context::current_with_span(span);
                    let fetched = position.fetch().await;
                    let job = (tracer.clone(), cx.clone());
                    tokio::spawn(async move {
                        let (tracer, parent) = job;
                        tracer.start_with_context("job", &parent).end();
                    });
                    cx.span().end();
                    if fetched.is_ok() { StatusCode::OK } else { StatusCode::BAD_GATEWAY }
                }
            }),
        )
    }
}

/// The job's spans under the paris request's server span, with their time facts.
fn paris_jobs(document: &Document) -> Vec<Vec<TimeFact>> {
    let paris = document
        .traces
        .iter()
        .find(|t| t.request.as_deref() == Some("GET /distance/paris -> 200"))
        .expect("a trace for the paris request");
    paris.spans[0].children.iter().filter(|s| s.name == "job").map(|s| s.time.clone()).collect()
}

#[test]
fn a_task_nobody_waits_for_runs_after_the_handler_on_every_run() {
    let first = capture::capture::<FireAndForget>(&scenario::DISTANCE);
    // The paris job runs when the next request first waits (on the position service):
    // after paris's server span ended.
    assert_eq!(paris_jobs(&first), vec![Vec::<TimeFact>::new()], "{:#?}", first.traces);
    let first = first.for_snapshot();
    for run in 2..=10 {
        let again = capture::capture::<FireAndForget>(&scenario::DISTANCE).for_snapshot();
        assert_eq!(again, first, "run {run} differs from run 1");
    }
}
