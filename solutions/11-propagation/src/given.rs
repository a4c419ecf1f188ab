//! Done in earlier exercises: the distance service's router and handlers, with their spans,
//! attributes, events and errors (exercises 3 to 7), their metrics (8 and 9) and their logs
//! (10). You do not need to edit this file: exercise 11 is in `app.rs`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::routing::get;
use axum::{Json, Router};
use lab::service::{AppError, DistanceReply, Places, distance_km};
use lab::{PositionClient, Telemetry};
use opentelemetry::context::FutureExt as _;
use opentelemetry::metrics::{Counter, Histogram, Meter, UpDownCounter};
use opentelemetry::trace::{SpanKind, Status, TraceContextExt as _, Tracer as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::SdkTracer;
use opentelemetry_semantic_conventions::attribute::{
    ERROR_TYPE, EXCEPTION_TYPE, GEO_COUNTRY_ISO_CODE, GEO_LOCATION_LAT, GEO_LOCATION_LON, HTTP_REQUEST_METHOD,
    HTTP_RESPONSE_STATUS_CODE, HTTP_ROUTE, URL_PATH, URL_SCHEME,
};
use opentelemetry_semantic_conventions::metric::{HTTP_SERVER_ACTIVE_REQUESTS, HTTP_SERVER_REQUEST_DURATION};

use crate::app::fetch_position;

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

/// The event name of an exception met while serving an HTTP request (the HTTP conventions'
/// `http-exceptions`). The conventions crate has constants for attribute and metric names
/// but none for event names (0.33): written once, here.
pub(crate) const HTTP_SERVER_REQUEST_EXCEPTION: &str = "http.server.request.exception";

/// The route template of the distance endpoint: the router's path and the `http.route`.
pub(crate) const DISTANCE_ROUTE: &str = "/distance/{place}";
/// The route of the list of places.
pub(crate) const PLACES_ROUTE: &str = "/places";
/// The position service's one route.
pub(crate) const POSITION_ROUTE: &str = "/position";

// This service's own metric. The semantic conventions have no request counter (their
// `http.server.request.duration` histogram counts requests too, exercise 9), so it is the
// service's own, under its `iss.` namespace like its attributes, and named once, here.
/// Requests answered, a counter in `{request}`: the rate, and with `error.type` on the
/// failed ones, the errors. One metric, not a second counter for the errors: the
/// conventions' advice (recording errors), so that the error ratio is one query.
pub const ISS_REQUESTS: &str = "iss.requests";

/// The bucket boundaries of `http.server.request.duration`, in seconds: the semantic
/// conventions' advice, from 5 ms to 10 s. The SDK's default boundaries (0 to 10 000) are
/// made for milliseconds: with seconds, nearly every request would land in the first bucket.
pub(crate) const DURATION_BUCKETS: [f64; 14] =
    [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) tracer: SdkTracer,
    pub(crate) metrics: RequestMetrics,
    pub(crate) places: Arc<Places>,
    pub(crate) position: PositionClient,
}

pub fn router(telemetry: &Telemetry, position: PositionClient) -> Router {
    let tracer = crate::telemetry::tracer(telemetry);
    // Given: the service traces loading its table of places, so there is a span to export.
    let places = tracer.in_span("load-places", |cx| {
        let places = Places::bundled();
        cx.span().set_attribute(KeyValue::new(ISS_PLACES_COUNT, places.len() as i64));
        // Logged with the `log` crate, as many libraries do; its key-values (before the `;`)
        // become attributes. The key is a constant: in parentheses, its value is the key.
        log::info!((ISS_PLACES_COUNT) = places.len(); "places loaded");
        places
    });
    let metrics = RequestMetrics::new(&crate::telemetry::meter(telemetry));
    let state = AppState { tracer, metrics, places: Arc::new(places), position };
    Router::new().route(DISTANCE_ROUTE, get(distance)).route(PLACES_ROUTE, get(list_places)).with_state(state)
}

/// REDS: rate and errors (one counter, `error.type` on the failures), duration (a
/// histogram) and saturation (an up-down counter), made once, when the service starts
/// (instruments are cheap to clone and meant to be kept, not made per request).
#[derive(Clone)]
pub(crate) struct RequestMetrics {
    pub(crate) requests: Counter<u64>,
    pub(crate) duration: Histogram<f64>,
    pub(crate) active: UpDownCounter<i64>,
}

impl RequestMetrics {
    pub(crate) fn new(meter: &Meter) -> Self {
        // The unit of a count of things is the thing, in braces (UCUM annotations).
        let requests = meter
            .u64_counter(ISS_REQUESTS)
            .with_unit("{request}")
            .with_description("Requests answered, by route, method, status code and, for failures, error type")
            .build();
        // The semantic conventions' HTTP server metrics: their names, units and
        // descriptions come from the conventions, the names from the crate's constants.
        let duration = meter
            .f64_histogram(HTTP_SERVER_REQUEST_DURATION)
            .with_unit("s")
            .with_description("Duration of HTTP server requests")
            .with_boundaries(DURATION_BUCKETS.to_vec())
            .build();
        let active = meter
            .i64_up_down_counter(HTTP_SERVER_ACTIVE_REQUESTS)
            .with_unit("{request}")
            .with_description("Number of active HTTP server requests")
            .build();
        Self { requests, duration, active }
    }

    /// One more request in flight, until the returned guard is dropped: however the
    /// handler ends (a reply, a `?` that returns an error early, a panic), the count goes
    /// back down.
    pub(crate) fn in_flight(&self) -> InFlight {
        // Known before routing: the method and the scheme (the convention's required
        // attributes), not the route or the status code.
        let attributes = [KeyValue::new(HTTP_REQUEST_METHOD, "GET"), KeyValue::new(URL_SCHEME, "http")];
        self.active.add(1, &attributes);
        InFlight { active: self.active.clone(), attributes, started: Instant::now() }
    }

    /// Counts one answered request, with its `error.type` when it failed by this server's
    /// fault, and records how long it took.
    ///
    /// Every distinct set of attribute values is a time series of its own, kept in memory
    /// and stored by the backend: only low-cardinality values here, a handful each (the
    /// route template, the method, the status code, the kind of error), never the place,
    /// an id or the raw path. Those belong on spans and logs.
    pub(crate) fn record(&self, route: &'static str, status: StatusCode, error: Option<&AppError>, elapsed: Duration) {
        let route = KeyValue::new(HTTP_ROUTE, route);
        let method = KeyValue::new(HTTP_REQUEST_METHOD, "GET");
        let status_code = KeyValue::new(HTTP_RESPONSE_STATUS_CODE, i64::from(status.as_u16()));
        // As on the server span (exercise 7), only a 5xx is this server's failure, counted
        // with its `error.type`; a 4xx is the caller's mistake, counted with its status code.
        let error_type = error.filter(|_| status.is_server_error()).map(|err| KeyValue::new(ERROR_TYPE, err.kind()));
        let mut requests = vec![route.clone(), method.clone(), status_code.clone()];
        requests.extend(error_type.clone());
        self.requests.add(1, &requests);
        // The duration, in seconds (an f64: 0.0042 s, not 4 ms), with the convention's
        // attributes: `error.type` only when the request failed.
        let mut attributes = vec![route, method, KeyValue::new(URL_SCHEME, "http"), status_code];
        attributes.extend(error_type);
        self.duration.record(elapsed.as_secs_f64(), &attributes);
    }
}

/// A request in flight: counted in `http.server.active_requests` from
/// [`RequestMetrics::in_flight`] until dropped, and timed from the same moment.
pub(crate) struct InFlight {
    pub(crate) active: UpDownCounter<i64>,
    pub(crate) attributes: [KeyValue; 2],
    pub(crate) started: Instant,
}

impl InFlight {
    /// How long the request has been in flight.
    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        // The same attributes as the `+1`: the two cancel out in the same time series.
        self.active.add(-1, &self.attributes);
    }
}

/// `GET /distance/{place}`: how far the ISS is from `place`.
pub(crate) async fn distance(
    State(app): State<AppState>,
    Path(place): Path<String>,
    uri: Uri,
) -> Result<Json<DistanceReply>, AppError> {
    // In flight (and timed) from here until the handler returns, whichever way it does.
    let in_flight = app.metrics.in_flight();
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
    app.metrics.record(DISTANCE_ROUTE, status, result.as_ref().err(), in_flight.elapsed());
    // Only a 5xx is this server's failure. A 4xx is the caller's mistake (here, an unknown
    // place): HTTP server conventions leave the server span's status Unset for it, and the
    // status code already says what happened.
    let reply = result.map_err(|err| if status.is_server_error() { fail(&cx, err) } else { err })?;
    Ok(reply)
}

/// The handler's work: look the place up, ask where the ISS is, compute the distance.
/// It runs inside the server span's context, so every span started here is its child.
pub(crate) async fn find_distance(app: &AppState, place: &str) -> Result<Json<DistanceReply>, AppError> {
    let found = app.places.find(place);
    // The current span is the server span: add what the lookup found out.
    Context::current().span().set_attribute(KeyValue::new(ISS_PLACE_KNOWN, found.is_ok()));
    // Logs with `tracing`: a level, fields (the keys in braces are constants: their value is
    // the key), and a message. Written here, they carry the server span's ids: this
    // function runs inside its context (`.with_context(cx)` in `distance`).
    // Each record is an event with a name of its own (`name:`, in this service's `iss.`
    // namespace): a `tracing` record always leaves the bridge with an event name, and
    // without `name:` it is `event src/app.rs:<line>`, which changes with every edit.
    if found.is_err() {
        // The caller's mistake: worth a warning, not an error of this service.
        tracing::warn!(name: "iss.place.unknown", { { ISS_PLACE } = place }, "unknown place");
    }
    let place = found?;
    tracing::info!(name: "iss.place.resolved", { { ISS_PLACE } = place.name }, "place resolved");
    // A moment worth a timestamp: the place is resolved. Its location goes in the event's
    // attributes, with the keys of the `geo.*` conventions.
    Context::current().span().add_event(
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
    // Synchronous work: `in_span` starts a child of the current span, makes it current
    // for the closure, and ends it when the closure returns.
    let km = app.tracer.in_span("compute-distance", |cx| {
        let km = distance_km(place.coordinates, iss.coordinates);
        cx.span().set_attribute(KeyValue::new(ISS_DISTANCE_KM, km));
        // Inside `in_span`, the current span is `compute-distance`: the record carries its ids.
        tracing::info!(name: "iss.distance.computed", { { ISS_DISTANCE_KM } = km }, "distance computed");
        km
    });
    Ok(Json(DistanceReply::new(place, iss, km)))
}

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

/// `GET /places`: the places the service knows.
pub(crate) async fn list_places(State(app): State<AppState>) -> Json<Vec<&'static str>> {
    let in_flight = app.metrics.in_flight();
    let names = app.places.names();
    app.metrics.record(PLACES_ROUTE, StatusCode::OK, None, in_flight.elapsed());
    Json(names)
}
