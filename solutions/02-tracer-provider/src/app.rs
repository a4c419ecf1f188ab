//! The distance service's routes and handlers.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use lab::service::{AppError, DistanceReply, Places, distance_km};
use lab::{PositionClient, Telemetry};
use opentelemetry::trace::Tracer as _;

#[derive(Clone)]
struct AppState {
    places: Arc<Places>,
    position: PositionClient,
}

pub fn router(telemetry: &Telemetry, position: PositionClient) -> Router {
    let tracer = crate::telemetry::tracer(telemetry);
    // Given: the service traces loading its table of places, so there is a span to export.
    let places = tracer.in_span("load-places", |_| Places::bundled());
    let state = AppState { places: Arc::new(places), position };
    Router::new().route("/distance/{place}", get(distance)).route("/places", get(list_places)).with_state(state)
}

/// `GET /distance/{place}`: how far the ISS is from `place`.
async fn distance(State(app): State<AppState>, Path(place): Path<String>) -> Result<Json<DistanceReply>, AppError> {
    let place = app.places.find(&place)?;
    let iss = app.position.fetch().await?;
    let km = distance_km(place.coordinates, iss.coordinates);
    Ok(Json(DistanceReply::new(place, iss, km)))
}

/// `GET /places`: the places the service knows.
async fn list_places(State(app): State<AppState>) -> Json<Vec<&'static str>> {
    Json(app.places.names())
}
