//! The distance service's routes and handlers. Exercise 3 is about `distance()`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use lab::service::{AppError, DistanceReply, Places, distance_km};
use lab::{PositionClient, Telemetry};
use opentelemetry::Context;
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{SpanKind, TraceContextExt as _, Tracer as _};
use opentelemetry_sdk::trace::SdkTracer;

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

/// The handler's work: look the place up, ask where the ISS is, compute the distance.
async fn find_distance(app: &AppState, place: &str) -> Result<Json<DistanceReply>, AppError> {
    let place = app.places.find(place)?;
    let iss = app.position.fetch().await?;
    let km = distance_km(place.coordinates, iss.coordinates);
    Ok(Json(DistanceReply::new(place, iss, km)))
}

/// `GET /places`: the places the service knows.
async fn list_places(State(app): State<AppState>) -> Json<Vec<&'static str>> {
    Json(app.places.names())
}
