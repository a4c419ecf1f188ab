//! The distance service's routes and handlers. Exercise 4 is about `find_distance()` and
//! `fetch_position()`.

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

/// The handler's work: look the place up, ask where the ISS is, compute the distance.
/// It runs inside the server span's context, so every span started here is its child.
async fn find_distance(app: &AppState, place: &str) -> Result<Json<DistanceReply>, AppError> {
    let place = app.places.find(place)?;
    let iss = fetch_position(app).await?;
    // Synchronous work: `in_span` starts a child of the current span, makes it current
    // for the closure, and ends it when the closure returns.
    let km = app.tracer.in_span("compute-distance", |_| distance_km(place.coordinates, iss.coordinates));
    Ok(Json(DistanceReply::new(place, iss, km)))
}

/// `GET /position` on the position service, in a client span: this service is the
/// client of that call. HTTP client spans are named after the method alone (there is no
/// route template on this side), so the span is `GET`.
async fn fetch_position(app: &AppState) -> Result<Position, AppError> {
    // `start` takes the current context (the server span's) as the parent.
    let span = app.tracer.span_builder("GET").with_kind(SpanKind::Client).start(&app.tracer);
    // Across an `.await` the span travels with the future, as the server span does.
    let cx = Context::current_with_span(span);
    Ok(app.position.fetch().with_context(cx).await?)
}

#[derive(Clone)]
struct AppState {
    tracer: SdkTracer,
    places: Arc<Places>,
    position: PositionClient,
}

pub fn router(telemetry: &Telemetry, position: PositionClient) -> Router {
    let tracer = crate::telemetry::tracer(telemetry);
    // Given: the service traces loading its table of places, so there is a span to export.
    let places = tracer.in_span("load-places", |_| Places::bundled());
    let state = AppState { tracer, places: Arc::new(places), position };
    Router::new().route("/distance/{place}", get(distance)).route("/places", get(list_places)).with_state(state)
}

/// `GET /distance/{place}`: how far the ISS is from `place`.
async fn distance(State(app): State<AppState>, Path(place): Path<String>) -> Result<Json<DistanceReply>, AppError> {
    // A server span, named after the method and the route template (never the raw path:
    // `/distance/paris`, `/distance/lima`, ... would make one span name per place).
    let span = app.tracer.span_builder("GET /distance/{place}").with_kind(SpanKind::Server).start(&app.tracer);
    // The span is the current one while the handler's work runs, and ends when the
    // context holding it is dropped, after the work is done.
    let cx = Context::current_with_span(span);
    find_distance(&app, &place).with_context(cx).await
}

/// `GET /places`: the places the service knows.
async fn list_places(State(app): State<AppState>) -> Json<Vec<&'static str>> {
    Json(app.places.names())
}
