//! The distance service's routes and handlers. Exercise 5 puts attributes on every span.
//!
//! TODO: six places below, marked TODO (1 of 6) to (6 of 6). Two kinds of keys:
//! - HTTP semantic conventions, imported from the semantic conventions crate, never typed:
//!   `use opentelemetry_semantic_conventions::attribute::{HTTP_REQUEST_METHOD,
//!   HTTP_RESPONSE_STATUS_CODE, HTTP_ROUTE, SERVER_ADDRESS, SERVER_PORT, URL_FULL, URL_PATH,
//!   URL_SCHEME};`
//! - this service's own `iss.*` keys, declared below.
//!
//! An attribute is a `KeyValue` (`use opentelemetry::KeyValue;`), and its type is the type
//! of the Rust value you give it: `&str`/`String` is a string, `bool` a bool, `i64` an
//! integer, `f64` a float. The checker grades the type too. See the README.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use lab::service::{AppError, DistanceReply, Places, Position, distance_km};
use lab::{PositionClient, Telemetry};
use opentelemetry::Context;
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{SpanKind, TraceContextExt as _, Tracer as _};
use opentelemetry_sdk::trace::SdkTracer;

// This service's own attributes. They are no semantic convention, so they live under
// `iss.`, a namespace that is this application's own and no convention's (`app.*` is one),
// and each key is written once, here, never inline.
/// The place as the caller asked for it (string).
pub const ISS_PLACE: &str = "iss.place";
/// Whether the place is in the table (bool).
pub const ISS_PLACE_KNOWN: &str = "iss.place.known";
/// The computed distance in kilometres (f64).
pub const ISS_DISTANCE_KM: &str = "iss.distance_km";
/// How many places the table holds (i64).
pub const ISS_PLACES_COUNT: &str = "iss.places.count";

/// The route template of the distance endpoint: the router's path and the `http.route`.
const DISTANCE_ROUTE: &str = "/distance/{place}";

#[derive(Clone)]
struct AppState {
    tracer: SdkTracer,
    places: Arc<Places>,
    position: PositionClient,
}

pub fn router(telemetry: &Telemetry, position: PositionClient) -> Router {
    let tracer = crate::telemetry::tracer(telemetry);
    // Given: the service traces loading its table of places, so there is a span to export.
    // TODO (1 of 6): set `iss.places.count` (i64: `places.len() as i64`) on this span. The
    // closure receives the span's context: `|cx| { ...; cx.span().set_attribute(...); ... }`.
    let places = tracer.in_span("load-places", |_| Places::bundled());
    let state = AppState { tracer, places: Arc::new(places), position };
    Router::new().route(DISTANCE_ROUTE, get(distance)).route("/places", get(list_places)).with_state(state)
}

/// `GET /distance/{place}`: how far the ISS is from `place`.
async fn distance(State(app): State<AppState>, Path(place): Path<String>) -> Result<Json<DistanceReply>, AppError> {
    // TODO (2 of 6): what is known when the request arrives goes in at the start, with
    // `.with_attributes([...])` on the builder: `http.request.method` ("GET"), `http.route`
    // (the template `DISTANCE_ROUTE`, never the raw path), the two the conventions require
    // besides, `url.path` (the path as requested, `/distance/paris`: take the request's URI
    // as one more parameter of the handler, `uri: Uri` from `axum::http`) and `url.scheme`
    // ("http": this server speaks plain HTTP), and `iss.place` (the place asked for, as given).
    let span = app.tracer.span_builder("GET /distance/{place}").with_kind(SpanKind::Server).start(&app.tracer);
    let cx = Context::current_with_span(span);
    // TODO (3 of 6): once the work is done, set `http.response.status_code` on the server
    // span: an i64, 200 (`axum::http::StatusCode::OK`) for `Ok`, `err.status()` for an
    // error. Keep `cx` to reach the span afterwards (`cx.span()`): run the work with
    // `.with_context(cx.clone())`, keep its result, set the attribute, then return the
    // result unchanged.
    find_distance(&app, &place).with_context(cx).await
}

/// The handler's work: look the place up, ask where the ISS is, compute the distance.
/// It runs inside the server span's context, so every span started here is its child.
async fn find_distance(app: &AppState, place: &str) -> Result<Json<DistanceReply>, AppError> {
    // TODO (4 of 6): record on the server span whether the place is known: `iss.place.known`,
    // a bool. The server span is the current one here: `Context::current().span()`. Look
    // the place up first, set the attribute, then return the error with `?`.
    let place = app.places.find(place)?;
    let iss = fetch_position(app).await?;
    // TODO (5 of 6): set `iss.distance_km` (the f64 `km`) on `compute-distance`.
    let km = app.tracer.in_span("compute-distance", |_| distance_km(place.coordinates, iss.coordinates));
    Ok(Json(DistanceReply::new(place, iss, km)))
}

/// `GET /position` on the position service, in a client span: this service is the
/// client of that call. HTTP client spans are named after the method alone (there is no
/// route template on this side), so the span is `GET`.
async fn fetch_position(app: &AppState) -> Result<Position, AppError> {
    // TODO (6 of 6): the client span's HTTP attributes: at the start, `http.request.method`
    // ("GET"), `url.full` (`app.position.url()`), and where the request goes, both required:
    // `server.address` (a string, the host of `request.uri()`) and `server.port` (an i64,
    // its port); once the response is there, `http.response.status_code` (an i64, from
    // `response.status()`), on `cx.span()`.
    let request = app.position.request();
    let span = app.tracer.span_builder("GET").with_kind(SpanKind::Client).start(&app.tracer);
    let cx = Context::current_with_span(span);
    // Given: the call in two steps, so that the response's status can be recorded.
    let response = app.position.send(request).with_context(cx.clone()).await?;
    Ok(PositionClient::read(response).with_context(cx).await?)
}

/// `GET /places`: the places the service knows.
async fn list_places(State(app): State<AppState>) -> Json<Vec<&'static str>> {
    Json(app.places.names())
}
