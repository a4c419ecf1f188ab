//! The distance service's handler, and how it records failures. Exercise 7: your part is
//! `fail()` and the end of `distance()`; the rest of the service is in `given.rs`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use lab::service::{AppError, DistanceReply};
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{SpanKind, Status, TraceContextExt as _, Tracer as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_semantic_conventions::attribute::{
    ERROR_TYPE, HTTP_REQUEST_METHOD, HTTP_RESPONSE_STATUS_CODE, HTTP_ROUTE, URL_PATH, URL_SCHEME,
};

use crate::given::{AppState, DISTANCE_ROUTE, ISS_PLACE, find_distance};

/// Records `err` on the span in `cx` as the reason its operation failed, and gives the
/// error back, so that `?` still returns it to the caller: instrumentation observes an
/// error, it never swallows it.
pub(crate) fn fail(cx: &Context, err: impl Into<AppError>) -> AppError {
    let err = err.into();
    let span = cx.span();
    // The status says the operation failed, and its description says why, for people.
    span.set_status(Status::error(err.to_string()));
    // The class of error, low-cardinality, to group and count failures by.
    span.set_attribute(KeyValue::new(ERROR_TYPE, err.kind()));
    // No exception event (`record_error`): the conventions deprecated exceptions on spans.
    // The exception goes out once, as a log record (exercise 10), not once per span.
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
    // Only a 5xx is this server's failure. A 4xx is the caller's mistake (here, an unknown
    // place): HTTP server conventions leave the server span's status Unset for it, and the
    // status code already says what happened.
    let reply = result.map_err(|err| if status.is_server_error() { fail(&cx, err) } else { err })?;
    Ok(reply)
}
