//! The distance service's routes and handlers, instrumented the `tracing` way since
//! exercise 14: `#[tracing::instrument]` on functions, `tracing` spans with fields, which
//! tracing-opentelemetry turns into OpenTelemetry spans (see `telemetry.rs`). The telemetry
//! is the one of exercise 13. The position service, another team's, keeps its layer written
//! with the OpenTelemetry API: the two styles meet in the `traceparent` header.

use std::sync::Arc;

use axum::extract::{MatchedPath, Path, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use lab::service::{AppError, Coordinates, DistanceReply, Places, Position, distance_km};
use lab::{PositionClient, Telemetry};
use opentelemetry::{Context, KeyValue, global};
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_semantic_conventions::attribute::{
    ERROR_TYPE, EXCEPTION_TYPE, GEO_COUNTRY_ISO_CODE, GEO_LOCATION_LAT, GEO_LOCATION_LON, HTTP_REQUEST_METHOD,
    HTTP_REQUEST_METHOD_ORIGINAL, HTTP_RESPONSE_STATUS_CODE, HTTP_ROUTE, URL_PATH, URL_SCHEME,
};

use crate::given::{
    DISTANCE_ROUTE, Failed, HTTP_SERVER_REQUEST_EXCEPTION, HttpMethod, ISS_DISTANCE_KM, ISS_PLACE, ISS_PLACE_KNOWN,
    ISS_PLACES_COUNT, PLACES_ROUTE, RequestMetrics, list_places,
};
use tracing::Instrument as _;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// `GET /position` on the position service, in a client span `GET`: the function is the
/// span.
// TODO (1 of 2): make this function a span: the client span `GET` of exercise 5, kind
// client, with the client attributes known before the call, and every field the body
// records declared (a `tracing` span ignores a field it was not created with). The body is
// written for it already: it takes `tracing::Span::current()` and records the status code,
// the failure and the event on it; without a span of its own, all of that lands on the
// server span. Its arguments are no attributes. README: "`#[tracing::instrument]`, the
// decorator".
async fn fetch_position(app: &AppState) -> Result<Position, AppError> {
    let span = tracing::Span::current();
    // The client span's context into the request's headers (exercise 11): `context()` is
    // the OpenTelemetry context of a `tracing` span.
    let mut request = app.position.request();
    global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&span.context(), &mut HeaderInjector(request.headers_mut()));
    });
    // No `.with_context(cx)`: `#[instrument]` enters the span every time the function's
    // future runs, and entering it makes its context current.
    let response = app.position.send(request).await.map_err(|err| fail(&span, err))?;
    span.record(HTTP_RESPONSE_STATUS_CODE, i64::from(response.status().as_u16()));
    let iss = PositionClient::read(response).await.map_err(|err| fail(&span, err))?;
    span.add_event(
        "iss.position.received",
        vec![
            KeyValue::new(GEO_LOCATION_LAT, iss.coordinates.latitude),
            KeyValue::new(GEO_LOCATION_LON, iss.coordinates.longitude),
        ],
    );
    Ok(iss)
}

/// The computation, in a span of its own, `compute-distance`, whose field is recorded once
/// known.
// TODO (2 of 2): the same for this function: the internal span `compute-distance`, with the
// one attribute its body records, and no attribute from its arguments.
fn compute_distance(place: Coordinates, iss: Coordinates) -> f64 {
    let km = distance_km(place, iss);
    tracing::Span::current().record(ISS_DISTANCE_KM, km);
    // Inside the function, the current span is `compute-distance`: the record carries its ids.
    tracing::info!(name: "iss.distance.computed", { { ISS_DISTANCE_KM } = km }, "distance computed");
    km
}

/// `tracing-opentelemetry`'s special fields: the OpenTelemetry span's name when it cannot be
/// `tracing`'s (which must be known at compile time), its kind, and its status.
const OTEL_NAME: &str = "otel.name";
const OTEL_KIND: &str = "otel.kind";
const OTEL_STATUS_CODE: &str = "otel.status_code";
const OTEL_STATUS_DESCRIPTION: &str = "otel.status_description";

#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) places: Arc<Places>,
    pub(crate) position: PositionClient,
}

pub fn router(telemetry: &Telemetry, position: PositionClient) -> Router {
    let places = load_places();
    let metrics = RequestMetrics::new(&crate::telemetry::meter(telemetry));
    let state = AppState { places: Arc::new(places), position };
    Router::new()
        .route(DISTANCE_ROUTE, get(distance))
        .route(PLACES_ROUTE, get(list_places))
        // One layer around every route above (exercise 12), now making `tracing` spans.
        .route_layer(middleware::from_fn_with_state(metrics, trace_requests))
        .with_state(state)
}

/// The service traces loading its table of places: a function, so `#[instrument]` gives it
/// a span, `load-places`, for as long as it runs. Its field is declared `Empty`, a promise
/// to record it before the span ends: `tracing` spans have a fixed set of fields, named when
/// the span is created.
#[tracing::instrument(name = "load-places", fields({ ISS_PLACES_COUNT } = Empty))]
fn load_places() -> Places {
    let places = Places::bundled();
    tracing::Span::current().record(ISS_PLACES_COUNT, places.len() as i64);
    // Logged with the `log` crate, as many libraries do; it carries the span's ids: entering
    // a `tracing` span makes its OpenTelemetry context the current one.
    log::info!((ISS_PLACES_COUNT) = places.len(); "places loaded");
    places
}

/// The distance service's layer: every request in a server span, counted and timed, as in
/// exercise 12, with the span written the `tracing` way: a span with fields, entered while
/// the handler runs.
async fn trace_requests(State(metrics): State<RequestMetrics>, request: Request, next: Next) -> Response {
    // The method as the conventions record it: unknown methods are `_OTHER` (exercise 12).
    let method = HttpMethod::of(&request);
    // The route template the request matched, never the raw path (exercise 12).
    let route = request.extensions().get::<MatchedPath>().map(|matched| matched.as_str().to_owned());
    let in_flight = metrics.in_flight(method.known);
    // A `tracing` span's name is a `&'static str`, fixed where the macro is: `otel.name`
    // gives the OpenTelemetry span its real one, `{method} {route}`. `otel.kind` its kind.
    // Every field it will ever have is named here, the later ones `Empty`.
    let name = match &route {
        Some(route) => format!("{} {route}", method.in_name),
        None => method.in_name.to_owned(),
    };
    let span = tracing::info_span!(
        "HTTP request",
        { OTEL_NAME } = name,
        { OTEL_KIND } = "server",
        { HTTP_REQUEST_METHOD } = method.known,
        { HTTP_REQUEST_METHOD_ORIGINAL } = method.original,
        { HTTP_ROUTE } = route,
        { URL_PATH } = request.uri().path(),
        { URL_SCHEME } = "http",
        { HTTP_RESPONSE_STATUS_CODE } = Empty,
        { ERROR_TYPE } = Empty,
        { OTEL_STATUS_CODE } = Empty,
        { OTEL_STATUS_DESCRIPTION } = Empty,
    );
    // The caller's context (exercise 11), set as the OpenTelemetry parent before the span
    // starts: `tracing` has no idea of remote parents. Without a `traceparent` header, an
    // empty context: a root span, whatever `tracing` span happens to be current.
    let parent = global::get_text_map_propagator(|propagator| {
        propagator.extract_with_context(&Context::new(), &HeaderExtractor(request.headers()))
    });
    let _ = span.set_parent(parent);
    // `instrument`: the span is entered whenever the handler's future runs, so it is the
    // current `tracing` span there (and, through the bridge, the current OpenTelemetry one).
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status();
    span.record(HTTP_RESPONSE_STATUS_CODE, i64::from(status.as_u16()));
    // Only a 5xx is this server's failure (exercise 7); a 4xx leaves the status Unset.
    let error_type = if status.is_server_error() {
        match response.extensions().get::<AppError>() {
            // The handler's error, which the response carries (see `Failed`).
            Some(err) => {
                record_failure(&span, err);
                Some(err.kind())
            }
            // A 5xx with no error of ours (another layer's answer): the status code is the
            // class of error, as the HTTP conventions say for that case, and the status has
            // no description: it would only repeat `http.response.status_code`.
            None => {
                span.record(OTEL_STATUS_CODE, "ERROR");
                span.record(ERROR_TYPE, status.as_str());
                Some(status.as_str())
            }
        }
    } else {
        None
    };
    metrics.record(route.as_deref(), method.known, status, error_type, in_flight.elapsed());
    response
}

/// `GET /distance/{place}`: how far the ISS is from `place`. The layer's span is the
/// current one: the handler adds what only it knows.
async fn distance(State(app): State<AppState>, Path(place): Path<String>) -> Result<Json<DistanceReply>, Failed> {
    // The layer could not declare this field (it knows nothing of places): a `tracing` span
    // takes no field it was not created with. `set_attribute` (`OpenTelemetrySpanExt`) goes
    // to the OpenTelemetry span directly.
    tracing::Span::current().set_attribute(ISS_PLACE, place.clone());
    // The error goes back to the caller (`?` makes it a `Failed`), and the layer records it
    // on the server span and in the metrics.
    Ok(find_distance(&app, &place).await?)
}

/// The handler's work: look the place up, ask where the ISS is, compute the distance.
/// It runs inside the server span, so every span started here is its child.
async fn find_distance(app: &AppState, place: &str) -> Result<Json<DistanceReply>, AppError> {
    let server = tracing::Span::current();
    let found = app.places.find(place);
    server.set_attribute(ISS_PLACE_KNOWN, found.is_ok());
    // Logs with `tracing`: events, which the logs bridge makes log records (exercise 10),
    // with the ids of the span they were written in.
    // Each record is an event with a name of its own (`name:`, in this service's `iss.`
    // namespace): a `tracing` record always leaves the bridge with an event name, and
    // without `name:` it is `event src/app.rs:<line>`, which changes with every edit.
    if found.is_err() {
        // The caller's mistake: worth a warning, not an error of this service.
        tracing::warn!(name: "iss.place.unknown", { { ISS_PLACE } = place }, "unknown place");
    }
    let place = found?;
    tracing::info!(name: "iss.place.resolved", { { ISS_PLACE } = place.name }, "place resolved");
    // A span event, named, with the `geo.*` attributes: added to the OpenTelemetry span, as
    // in exercise 6. (A `tracing` event would be a log record: see `telemetry.rs`.)
    server.add_event(
        "place.resolved",
        vec![
            KeyValue::new(GEO_LOCATION_LAT, place.coordinates.latitude),
            KeyValue::new(GEO_LOCATION_LON, place.coordinates.longitude),
            KeyValue::new(GEO_COUNTRY_ISO_CODE, place.country),
        ],
    );
    let iss = fetch_position(app).await.inspect_err(|err| {
        // The exception, recorded once, here, where the handler meets it: a log record
        // that is the HTTP conventions' event for it, with the exception's type (Rust's
        // full name of the error's type) and message (an `error` field becomes the
        // record's `exception.message`). The spans keep only their status and `error.type`.
        let error: &(dyn std::error::Error + 'static) = err;
        tracing::error!(
            name: HTTP_SERVER_REQUEST_EXCEPTION,
            { { EXCEPTION_TYPE } = std::any::type_name_of_val(err), error },
            "ISS position unavailable"
        );
    })?;
    let km = compute_distance(place.coordinates, iss.coordinates);
    Ok(Json(DistanceReply::new(place, iss, km)))
}

/// Records `err` on `span` as the reason its operation failed, and gives the error back,
/// so that `?` still returns it to the caller: instrumentation observes an error, it never
/// swallows it.
fn fail(span: &tracing::Span, err: impl Into<AppError>) -> AppError {
    let err = err.into();
    record_failure(span, &err);
    err
}

/// The two marks of a failed operation on its span (exercise 7), the `tracing` way: the
/// status through the special fields, and the class of error as a field. The exception
/// itself is one log record, where the handler meets it (exercise 10).
fn record_failure(span: &tracing::Span, err: &AppError) {
    // `otel.status_code` first: alone, it would leave the description empty.
    span.record(OTEL_STATUS_CODE, "ERROR");
    span.record(OTEL_STATUS_DESCRIPTION, err.to_string());
    span.record(ERROR_TYPE, err.kind());
}
