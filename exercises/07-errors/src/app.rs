//! The distance service's handler, and how it records failures. Exercise 7: your part is
//! `fail()` and the end of `distance()`; the rest of the service is in `given.rs`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use lab::service::{AppError, DistanceReply};
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{SpanKind, TraceContextExt as _, Tracer as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_semantic_conventions::attribute::{
    HTTP_REQUEST_METHOD, HTTP_RESPONSE_STATUS_CODE, HTTP_ROUTE, URL_PATH, URL_SCHEME,
};

use crate::given::{AppState, DISTANCE_ROUTE, ISS_PLACE, find_distance};

/// Records `err` on the span in `cx` as the reason its operation failed, and gives the
/// error back, so that `?` still returns it to the caller: instrumentation observes an
/// error, it never swallows it.
#[allow(unused_variables)] // until you use `cx`
pub(crate) fn fail(cx: &Context, err: impl Into<AppError>) -> AppError {
    let err = err.into();
    // TODO (1 of 2): record `err` on the span in `cx` as the reason its operation failed,
    // with the two marks the conventions ask of a failed span: its status, saying why, and
    // the class of error, to group failures by (README, "Two marks of a failed span"). No
    // exception event on the span: that is the deprecated way (README, "And the exception?").
    err
}

/// `GET /distance/{place}`: how far the ISS is from `place`.
pub(crate) async fn distance(
    State(app): State<AppState>,
    Path(place): Path<String>,
    uri: Uri,
) -> Result<Json<DistanceReply>, AppError> {
    // What is known when the request arrives goes in at the start, where samplers see it:
    // the method, the route template, the path and the scheme (the HTTP server conventions'
    // required attributes; this server speaks plain `http`), and the place asked for.
    let span = app
        .tracer
        .span_builder("GET /distance/{place}")
        .with_kind(SpanKind::Server)
        .with_attributes([
            KeyValue::new(HTTP_REQUEST_METHOD, "GET"),
            KeyValue::new(HTTP_ROUTE, DISTANCE_ROUTE),
            KeyValue::new(URL_PATH, uri.path().to_owned()),
            KeyValue::new(URL_SCHEME, "http"),
            KeyValue::new(ISS_PLACE, place.clone()),
        ])
        .start(&app.tracer);
    let cx = Context::current_with_span(span);
    // A clone runs with the work; `cx` itself keeps the span open for what comes after.
    let result = find_distance(&app, &place).with_context(cx.clone()).await;
    // The status code the caller receives, as an integer (never a string like "404").
    let status = match &result {
        Ok(_) => StatusCode::OK,
        Err(err) => err.status(),
    };
    cx.span().set_attribute(KeyValue::new(HTTP_RESPONSE_STATUS_CODE, i64::from(status.as_u16())));
    // TODO (2 of 2): when this server failed (a 5xx), record it on the server span, and
    // still return the error to the caller. A 4xx is the caller's mistake: the server span's
    // status stays Unset (README, "Always re-raise" and "Which spans, and the 404").
    result
}
