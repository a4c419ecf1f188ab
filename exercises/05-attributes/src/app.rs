//! The distance service's routes and handlers. Exercise 5 puts attributes on every span.
//!
//! TODO: six places below, marked TODO (1 of 6) to (6 of 6). The README's table "What to
//! do" says which attribute goes on which span, with its type; HTTP keys come from the
//! semantic conventions crate, this service's own `iss.*` keys are the constants below.

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

/// `GET /distance/{place}`: how far the ISS is from `place`.
async fn distance(State(app): State<AppState>, Path(place): Path<String>) -> Result<Json<DistanceReply>, AppError> {
    // TODO (1 of 6): the server span's attributes known when the request arrives (the
    // method, the route, the path, the scheme, the place asked for) should be on it from its
    // start. README: "Which API, when"; the path needs the request's URI ("Where values come from").
    let span = app.tracer.span_builder("GET /distance/{place}").with_kind(SpanKind::Server).start(&app.tracer);
    let cx = Context::current_with_span(span);
    // TODO (2 of 6): once the work is done, the server span should say which status code
    // the caller gets (200, 404 or 502, an integer), and the handler return the result
    // unchanged. README: "Which API, when" (a span you hold in a context).
    find_distance(&app, &place).with_context(cx).await
}

/// The handler's work: look the place up, ask where the ISS is, compute the distance.
/// It runs inside the server span's context, so every span started here is its child.
async fn find_distance(app: &AppState, place: &str) -> Result<Json<DistanceReply>, AppError> {
    // TODO (3 of 6): the server span should say whether the place was found, as a bool,
    // for unknown places too (before the `?` returns). README: "Which API, when" (the
    // current span).
    let place = app.places.find(place)?;
    let iss = fetch_position(app).await?;
    // TODO (4 of 6): `compute-distance` should carry the distance it computed, a float.
    let km = app.tracer.in_span("compute-distance", |_| distance_km(place.coordinates, iss.coordinates));
    Ok(Json(DistanceReply::new(place, iss, km)))
}

/// `GET /position` on the position service, in a client span: this service is the
/// client of that call. HTTP client spans are named after the method alone (there is no
/// route template on this side), so the span is `GET`.
async fn fetch_position(app: &AppState) -> Result<Position, AppError> {
    // TODO (5 of 6): the client span's HTTP attributes: what is known before the call (the
    // method, the URL, where the request goes) from its start; the position service's
    // status code once its response is there. README: "What to do", "Where values come from".
    let request = app.position.request();
    let span = app.tracer.span_builder("GET").with_kind(SpanKind::Client).start(&app.tracer);
    let cx = Context::current_with_span(span);
    // Given: the call in two steps, so that the response's status can be recorded.
    let response = app.position.send(request).with_context(cx.clone()).await?;
    Ok(PositionClient::read(response).with_context(cx).await?)
}

pub fn router(telemetry: &Telemetry, position: PositionClient) -> Router {
    let tracer = crate::telemetry::tracer(telemetry);
    // Given: the service traces loading its table of places, so there is a span to export.
    // TODO (6 of 6): `load-places` should say how many places the table holds, an integer.
    // README: "Which API, when" (`in_span`).
    let places = tracer.in_span("load-places", |_| Places::bundled());
    let state = AppState { tracer, places: Arc::new(places), position };
    Router::new().route(DISTANCE_ROUTE, get(distance)).route("/places", get(list_places)).with_state(state)
}

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

/// `GET /places`: the places the service knows.
async fn list_places(State(app): State<AppState>) -> Json<Vec<&'static str>> {
    Json(app.places.names())
}
