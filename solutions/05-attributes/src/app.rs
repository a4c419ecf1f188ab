//! The distance service's routes and handlers. Exercise 5 puts attributes on every span.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::routing::get;
use axum::{Json, Router};
use lab::service::{AppError, DistanceReply, Places, Position, distance_km};
use lab::{PositionClient, Telemetry};
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{SpanKind, TraceContextExt as _, Tracer as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::SdkTracer;
use opentelemetry_semantic_conventions::attribute::{
    HTTP_REQUEST_METHOD, HTTP_RESPONSE_STATUS_CODE, HTTP_ROUTE, SERVER_ADDRESS, SERVER_PORT, URL_FULL, URL_PATH,
    URL_SCHEME,
};

/// `GET /distance/{place}`: how far the ISS is from `place`.
async fn distance(
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
    result
}

/// The handler's work: look the place up, ask where the ISS is, compute the distance.
/// It runs inside the server span's context, so every span started here is its child.
async fn find_distance(app: &AppState, place: &str) -> Result<Json<DistanceReply>, AppError> {
    let place = app.places.find(place);
    // The current span is the server span: add what the lookup found out.
    Context::current().span().set_attribute(KeyValue::new(ISS_PLACE_KNOWN, place.is_ok()));
    let place = place?;
    let iss = fetch_position(app).await?;
    // Synchronous work: `in_span` starts a child of the current span, makes it current
    // for the closure, and ends it when the closure returns.
    let km = app.tracer.in_span("compute-distance", |cx| {
        let km = distance_km(place.coordinates, iss.coordinates);
        cx.span().set_attribute(KeyValue::new(ISS_DISTANCE_KM, km));
        km
    });
    Ok(Json(DistanceReply::new(place, iss, km)))
}

/// `GET /position` on the position service, in a client span: this service is the
/// client of that call. HTTP client spans are named after the method alone (there is no
/// route template on this side), so the span is `GET`.
async fn fetch_position(app: &AppState) -> Result<Position, AppError> {
    // `start` takes the current context (the server span's) as the parent. What the HTTP
    // client conventions require is known before the call: the method, the full URL, and
    // where the request goes, `server.address` and `server.port` (from the request's URL).
    let request = app.position.request();
    let (address, port) = (request.uri().host().unwrap_or_default().to_owned(), request.uri().port_u16().unwrap_or(80));
    let span = app
        .tracer
        .span_builder("GET")
        .with_kind(SpanKind::Client)
        .with_attributes([
            KeyValue::new(HTTP_REQUEST_METHOD, "GET"),
            KeyValue::new(URL_FULL, app.position.url()),
            KeyValue::new(SERVER_ADDRESS, address),
            KeyValue::new(SERVER_PORT, i64::from(port)),
        ])
        .start(&app.tracer);
    let cx = Context::current_with_span(span);
    // Given: the call in two steps, so that the response's status can be recorded.
    let response = app.position.send(request).with_context(cx.clone()).await?;
    cx.span().set_attribute(KeyValue::new(HTTP_RESPONSE_STATUS_CODE, i64::from(response.status().as_u16())));
    Ok(PositionClient::read(response).with_context(cx).await?)
}

pub fn router(telemetry: &Telemetry, position: PositionClient) -> Router {
    let tracer = crate::telemetry::tracer(telemetry);
    // Given: the service traces loading its table of places, so there is a span to export.
    let places = tracer.in_span("load-places", |cx| {
        let places = Places::bundled();
        cx.span().set_attribute(KeyValue::new(ISS_PLACES_COUNT, places.len() as i64));
        places
    });
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
