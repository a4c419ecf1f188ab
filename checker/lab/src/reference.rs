//! The service that exercise 20's tests test: a compact distance service, fully
//! instrumented, built only from what a [`Telemetry`] holds, and the broken versions of it
//! ([`Regression`]) that the learner's tests must catch.
//!
//! Per request to `GET /distance/{place}` it emits:
//! - a server span `GET /distance/{place}` (kind server; `http.request.method`,
//!   `http.route`, `http.response.status_code`; a 5xx answer: status error and
//!   `error.type`; a 4xx stays unset, as exercise 7 teaches), current while the request
//!   runs;
//! - a child span `compute distance` (kind internal), made in a task spawned onto the
//!   runtime, which carries the request's context;
//! - a log record `place.resolved` (INFO) written inside the server span, so it carries its
//!   trace and span ids;
//! - a point of `http.server.request.duration` (seconds) with the method, route, status code
//!   and, on failure, `error.type`.
//!
//! A broken version is chosen by the process's environment, `LAB_REGRESSION=<id>`, read once
//! when the router is built ([`Regression::from_env`]); each one is a small change, marked
//! `REGRESSION` below, where it breaks. The checker runs the learner's tests once without it
//! and once per regression ([`Regression::ALL`]).

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use opentelemetry::context::FutureExt as _;
use opentelemetry::logs::{LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry::metrics::{Histogram, MeterProvider as _};
use opentelemetry::trace::{Span as _, SpanKind, Status, TraceContextExt as _, Tracer as _, TracerProvider as _};
use opentelemetry::{Context, InstrumentationScope, KeyValue};
use opentelemetry_sdk::logs::{SdkLogger, SdkLoggerProvider};
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use opentelemetry_semantic_conventions::attribute::{
    ERROR_TYPE, HTTP_REQUEST_METHOD, HTTP_RESPONSE_STATUS_CODE, HTTP_ROUTE,
};
use opentelemetry_semantic_conventions::metric::HTTP_SERVER_REQUEST_DURATION;

use crate::service::{AppError, DistanceReply, Places, PositionClient, distance_km};
use crate::{Edge, Telemetry};

pub use crate::regressions::{NO_REGRESSION, REGRESSION_VAR, REGRESSIONS};

/// The route, as the server span's name and `http.route` give it.
pub const ROUTE: &str = "/distance/{place}";

/// The scope of the service's tracer, meter and logger.
pub const SCOPE: &str = "iss-distance";

/// One classic regression of a service's telemetry: what the learner's tests must catch.
/// Its id and words are in [`REGRESSIONS`], in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regression {
    /// The server span is never ended, so it is never exported.
    SpanNotEnded,
    /// `http.request.method` is written under its old, deprecated name `http.method`.
    AttributeRenamed,
    /// A failed request (the 502) no longer sets status error and `error.type` on its span.
    ErrorNotMarked,
    /// The duration histogram records milliseconds (its unit still says seconds).
    HistogramInMilliseconds,
    /// The spawned task no longer carries the request's context: its span starts a trace
    /// of its own.
    ContextLostAcrossSpawn,
    /// The log record is written after the server span's context is gone: no trace id.
    LogOutsideSpan,
}

impl Regression {
    /// Every regression, in the order the verdict lists them.
    pub const ALL: &'static [Regression] = &[
        Regression::SpanNotEnded,
        Regression::AttributeRenamed,
        Regression::ErrorNotMarked,
        Regression::HistogramInMilliseconds,
        Regression::ContextLostAcrossSpawn,
        Regression::LogOutsideSpan,
    ];

    /// Its value of [`REGRESSION_VAR`], stable (reports and snapshots name it).
    pub fn id(self) -> &'static str {
        REGRESSIONS[self as usize].0
    }

    pub fn from_id(id: &str) -> Option<Regression> {
        Self::ALL.iter().copied().find(|r| r.id() == id)
    }

    /// The regression the environment asks for; `None` (the reference) when unset. An
    /// unknown id is a mistake of the caller's, said at once rather than tested silently.
    pub fn from_env() -> Option<Regression> {
        let id = std::env::var(REGRESSION_VAR).ok().filter(|id| !id.is_empty() && id != NO_REGRESSION)?;
        match Regression::from_id(&id) {
            Some(regression) => Some(regression),
            None => panic!(
                "{REGRESSION_VAR}={id} names no regression; known: {}",
                Self::ALL.iter().map(|r| r.id()).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

/// A real run's telemetry (`checker -- run 20`): the three providers over the edge, with
/// simple processors and the edge's periodic reader.
pub fn telemetry(edge: Edge) -> Telemetry {
    let tracer_provider = SdkTracerProvider::builder()
        .with_id_generator(edge.ids)
        .with_span_processor(edge.starts)
        .with_simple_exporter(edge.spans)
        .build();
    let meter_provider = SdkMeterProvider::builder().with_reader(PeriodicReader::builder(edge.metrics).build()).build();
    let logger_provider = SdkLoggerProvider::builder().with_simple_exporter(edge.logs).build();
    Telemetry::new(tracer_provider).with_meter_provider(meter_provider).with_logger_provider(logger_provider)
}

struct App {
    places: Places,
    position: PositionClient,
    tracer: SdkTracer,
    logger: SdkLogger,
    duration: Histogram<f64>,
    regression: Option<Regression>,
}

impl App {
    fn broken(&self, regression: Regression) -> bool {
        self.regression == Some(regression)
    }
}

/// The service's router: `GET /distance/{place}`, instrumented with the tracer, meter and
/// logger of `telemetry`, broken as [`REGRESSION_VAR`] says when the router is built.
pub fn router(telemetry: &Telemetry, position: PositionClient) -> Router {
    let scope = InstrumentationScope::builder(SCOPE).with_version(env!("CARGO_PKG_VERSION")).build();
    let duration = telemetry
        .meter_provider()
        .meter_with_scope(scope.clone())
        .f64_histogram(HTTP_SERVER_REQUEST_DURATION)
        .with_unit("s")
        .with_description("Duration of HTTP server requests")
        .with_boundaries(vec![0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0])
        .build();
    let app = App {
        places: Places::bundled(),
        position,
        tracer: telemetry.tracer_provider().tracer_with_scope(scope.clone()),
        logger: telemetry.logger_provider().logger_with_scope(scope),
        duration,
        regression: Regression::from_env(),
    };
    Router::new().route(ROUTE, get(distance)).with_state(Arc::new(app))
}

async fn distance(State(app): State<Arc<App>>, Path(place): Path<String>) -> Response {
    let started = Instant::now();
    // REGRESSION attribute-renamed: the deprecated key, as code written before semconv 1.20 has it.
    #[allow(deprecated)]
    let method_key = if app.broken(Regression::AttributeRenamed) {
        opentelemetry_semantic_conventions::attribute::HTTP_METHOD
    } else {
        HTTP_REQUEST_METHOD
    };
    let span = app
        .tracer
        .span_builder(format!("GET {ROUTE}"))
        .with_kind(SpanKind::Server)
        .with_attributes([KeyValue::new(method_key, "GET"), KeyValue::new(HTTP_ROUTE, ROUTE)])
        .start(&app.tracer);
    let cx = Context::current_with_span(span);
    let result = find_distance(&app, &place).with_context(cx.clone()).await;
    if app.broken(Regression::LogOutsideSpan) {
        // REGRESSION log-outside-span: written once the request's context is no longer current.
        resolved(&app, &place, &result);
    }

    let status = match &result {
        Ok(_) => 200,
        Err(e) => e.status().as_u16(),
    };
    let span = cx.span();
    span.set_attribute(KeyValue::new(HTTP_RESPONSE_STATUS_CODE, i64::from(status)));
    let mut point = vec![
        KeyValue::new(HTTP_REQUEST_METHOD, "GET"),
        KeyValue::new(HTTP_ROUTE, ROUTE),
        KeyValue::new(HTTP_RESPONSE_STATUS_CODE, i64::from(status)),
    ];
    if let Err(e) = &result
        && status >= 500
    {
        point.push(KeyValue::new(ERROR_TYPE, e.kind()));
        // REGRESSION error-not-marked: the failure is answered, but no longer recorded on the span.
        if !app.broken(Regression::ErrorNotMarked) {
            span.set_status(Status::error(e.to_string()));
            span.set_attribute(KeyValue::new(ERROR_TYPE, e.kind()));
        }
    }
    if app.broken(Regression::SpanNotEnded) {
        // REGRESSION span-not-ended: the span is leaked, as one kept in a long-lived struct
        // is; dropping it would end it (the SDK ends a span on drop).
        std::mem::forget(cx);
    } else {
        span.end();
    }

    let elapsed = started.elapsed();
    // REGRESSION histogram-in-milliseconds: the number of milliseconds, into a histogram in seconds.
    let value = if app.broken(Regression::HistogramInMilliseconds) {
        elapsed.as_secs_f64() * 1000.0
    } else {
        elapsed.as_secs_f64()
    };
    app.duration.record(value, &point);

    match result {
        Ok(reply) => Json(reply).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The request's work, while its server span is current.
async fn find_distance(app: &Arc<App>, name: &str) -> Result<DistanceReply, AppError> {
    let found = app.places.find(name).cloned();
    if !app.broken(Regression::LogOutsideSpan) {
        resolved(app, name, &found);
    }
    let place = found?;
    let iss = app.position.fetch().await?;
    // Work on another task, as a CPU-bound step or a background job would be.
    let task = {
        let tracer = app.tracer.clone();
        let work = async move {
            let mut span = tracer.span_builder("compute distance").with_kind(SpanKind::Internal).start(&tracer);
            let km = distance_km(place.coordinates, iss.coordinates);
            span.set_attribute(KeyValue::new("iss.distance_km", km));
            span.end();
            (place, km)
        };
        if app.broken(Regression::ContextLostAcrossSpawn) {
            // REGRESSION context-lost-across-spawn: the task starts with an empty context.
            tokio::spawn(work)
        } else {
            tokio::spawn(work.with_context(Context::current()))
        }
    };
    let (place, km) = task.await.expect("the distance task never panics");
    Ok(DistanceReply::new(&place, iss, km))
}

/// The log record of the place lookup, in whatever context is current.
fn resolved<T>(app: &App, name: &str, found: &Result<T, AppError>) {
    let mut record = app.logger.create_log_record();
    record.set_event_name("place.resolved");
    record.set_severity_number(Severity::Info);
    record.set_severity_text("INFO");
    let outcome = if found.is_ok() { "found" } else { "unknown" };
    record.set_body(format!("place `{name}`: {outcome}").into());
    record.add_attribute("iss.place.found", found.is_ok());
    app.logger.emit(record);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_regression_has_its_id_and_words_in_the_shared_list() {
        assert_eq!(Regression::ALL.len(), REGRESSIONS.len());
        for (i, r) in Regression::ALL.iter().enumerate() {
            assert_eq!(*r as usize, i);
            assert_eq!(Regression::from_id(r.id()), Some(*r));
        }
    }
}
