//! Done in earlier exercises: the service's own attribute and metric names, the request
//! metrics (exercises 8 and 9), the layer's helpers and the position service with its layer
//! written with the OpenTelemetry API (exercise 12); and the database's plumbing: opening it
//! and filling it at start-up. You do not need to edit this file: exercise 18 is in `db.rs`.

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use std::sync::{Mutex, PoisonError};

use lab::service::{AppError, Coordinates, Places};
use lab::{Orbit, Telemetry};
use opentelemetry::context::FutureExt as _;
use opentelemetry::metrics::{Counter, Histogram, Meter, UpDownCounter};
use opentelemetry::trace::{SpanKind, Status, TraceContextExt as _, Tracer as _};
use opentelemetry::{Context, KeyValue, global};
use opentelemetry_http::HeaderExtractor;
use opentelemetry_sdk::trace::SdkTracer;
use opentelemetry_semantic_conventions::attribute::{
    ERROR_TYPE, HTTP_REQUEST_METHOD, HTTP_REQUEST_METHOD_ORIGINAL, HTTP_RESPONSE_STATUS_CODE, HTTP_ROUTE, URL_PATH,
    URL_SCHEME,
};
use opentelemetry_semantic_conventions::metric::{HTTP_SERVER_ACTIVE_REQUESTS, HTTP_SERVER_REQUEST_DURATION};
use rusqlite::hooks::{AuthContext, Authorization};

use crate::app::AppState;

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

/// A request's method as the HTTP conventions record it. Any token is a valid method, so
/// a client could make up a new one per request: only the methods the conventions know
/// (RFC 9110's, PATCH and QUERY) go into attributes and span names as they are; any other
/// is `_OTHER` (and `HTTP` in the span name), its original kept on the span only.
pub(crate) struct HttpMethod {
    /// `http.request.method`: the method, or `_OTHER`.
    pub(crate) known: &'static str,
    /// The method's part of the span name: the method, or `HTTP`.
    pub(crate) in_name: &'static str,
    /// `http.request.method_original`, for a method the conventions do not know.
    pub(crate) original: Option<String>,
}

impl HttpMethod {
    pub(crate) const KNOWN: [&str; 10] =
        ["CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE"];

    pub(crate) fn of(request: &Request) -> Self {
        let method = request.method().as_str();
        match Self::KNOWN.iter().find(|known| **known == method) {
            Some(known) => HttpMethod { known, in_name: known, original: None },
            None => HttpMethod { known: "_OTHER", in_name: "HTTP", original: Some(method.to_owned()) },
        }
    }
}

/// A handler's error on its way out. A lab's `AppError` answers the caller as it does, and
/// leaves a copy of itself in the response's extensions: the layer sees only the response,
/// and finds there what failed (its kind, its message) to record it. A database error is a
/// 500 with no `AppError`: the layer records its status code as the class of error (the
/// query's own span says which error it was).
pub(crate) enum Failed {
    App(AppError),
    Database,
}

impl From<AppError> for Failed {
    fn from(err: AppError) -> Self {
        Failed::App(err)
    }
}

impl From<rusqlite::Error> for Failed {
    fn from(_: rusqlite::Error) -> Self {
        Failed::Database
    }
}

impl IntoResponse for Failed {
    fn into_response(self) -> Response {
        match self {
            Failed::App(err) => {
                let mut response = err.clone().into_response();
                response.extensions_mut().insert(err);
                response
            }
            Failed::Database => {
                // The same shape as the lab's errors: `{"error": "..."}`.
                let body = std::collections::BTreeMap::from([("error", "the places database failed")]);
                (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
            }
        }
    }
}

/// The places' database: SQLite, in memory, opened and filled from the lab's bundled table
/// when the service starts, so every run holds the same rows and no file is left behind.
/// One connection behind a mutex: a query in memory takes microseconds, less than handing
/// it to a thread of its own would.
pub(crate) struct Database {
    connection: Mutex<rusqlite::Connection>,
}

impl Database {
    /// A new database in memory with one table, `places`, holding the bundled places in
    /// their order. Names compare without case (`paris` finds `Paris`), as the lab's table.
    pub(crate) fn open_bundled() -> rusqlite::Result<Self> {
        let connection = rusqlite::Connection::open_in_memory()?;
        connection.execute_batch(
            "CREATE TABLE places (
                name TEXT NOT NULL UNIQUE COLLATE NOCASE,
                country TEXT NOT NULL,
                latitude REAL NOT NULL,
                longitude REAL NOT NULL
            )",
        )?;
        let bundled = Places::bundled();
        for name in bundled.names() {
            let place = bundled.get(name).expect("a bundled name is in the bundled table");
            connection.execute(
                "INSERT INTO places (name, country, latitude, longitude) VALUES (?1, ?2, ?3, ?4)",
                (place.name, place.country, place.coordinates.latitude, place.coordinates.longitude),
            )?;
        }
        Ok(Self { connection: Mutex::new(connection) })
    }

    /// Runs `query` on the connection. A panic in another query cannot corrupt it (SQLite
    /// rolls back what a statement left half done), so a poisoned lock is used as it is.
    /// `lab::service::query::timed` runs it as it is; under the checker it also tells the
    /// harness when the query ran, to check that the query's span covers it.
    ///
    /// Under the checker, while the scenario has the database refuse queries, an authorizer
    /// denies every statement: SQLite itself then fails the query with its result code
    /// `SQLITE_AUTH` (23, "not authorized"), as a database server answers a revoked grant.
    /// In a real run no query is refused.
    pub(crate) fn run<T>(&self, query: impl FnOnce(&rusqlite::Connection) -> T) -> T {
        let mut connection = self.connection.lock().unwrap_or_else(PoisonError::into_inner);
        let refuse = lab::service::faults::on(lab::service::faults::Fault::DatabaseRefuses);
        if refuse {
            // Setting an authorizer cannot fail on an open connection; a failure would only
            // mean the query runs unrefused.
            let _ = connection.authorizer(Some(|_: AuthContext<'_>| Authorization::Deny));
        }
        let result = lab::service::query::timed(|| query(&connection));
        if refuse {
            let _ = connection.authorizer(None::<fn(AuthContext<'_>) -> Authorization>);
        }
        result
    }

    /// How many places the table holds.
    pub(crate) fn count(&self) -> rusqlite::Result<i64> {
        self.run(|connection| connection.query_row("SELECT count(*) FROM places", [], |row| row.get(0)))
    }
}

/// A row of the `places` table.
#[derive(Debug, Clone)]
pub(crate) struct PlaceRow {
    pub(crate) name: String,
    pub(crate) country: String,
    pub(crate) coordinates: Coordinates,
}

impl PlaceRow {
    /// A row of `SELECT name, country, latitude, longitude ...`.
    pub(crate) fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        let coordinates = Coordinates { latitude: row.get(2)?, longitude: row.get(3)? };
        Ok(Self { name: row.get(0)?, country: row.get(1)?, coordinates })
    }
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
    pub(crate) fn in_flight(&self, method: &str) -> InFlight {
        // Known before routing: the method and the scheme (the convention's required
        // attributes), not the route or the status code.
        let attributes = [KeyValue::new(HTTP_REQUEST_METHOD, method.to_owned()), KeyValue::new(URL_SCHEME, "http")];
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
    ///
    /// `error_type` is the class of error of a request that failed by this server's fault
    /// (a 5xx), `None` otherwise: as on the server span (exercise 7), a 4xx is the caller's
    /// mistake, counted as a request with its status code, not as an error.
    pub(crate) fn record(
        &self,
        route: Option<&str>,
        method: &str,
        status: StatusCode,
        error_type: Option<&str>,
        elapsed: Duration,
    ) {
        // What every series of a request has: the route (when one matched) and the method.
        let mut common: Vec<KeyValue> =
            route.map(|route| KeyValue::new(HTTP_ROUTE, route.to_owned())).into_iter().collect();
        common.push(KeyValue::new(HTTP_REQUEST_METHOD, method.to_owned()));
        let status_code = KeyValue::new(HTTP_RESPONSE_STATUS_CODE, i64::from(status.as_u16()));
        let error_type = error_type.map(|kind| KeyValue::new(ERROR_TYPE, kind.to_owned()));
        let mut requests = common.clone();
        requests.push(status_code.clone());
        requests.extend(error_type.clone());
        self.requests.add(1, &requests);
        // The duration, in seconds (an f64: 0.0042 s, not 4 ms), with the convention's
        // attributes: `error.type` only when the request failed.
        let mut attributes = common;
        attributes.extend([KeyValue::new(URL_SCHEME, "http"), status_code]);
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

/// `GET /places`: the places the service knows, from the database. The layer gives it its
/// span and metrics.
pub(crate) async fn list_places(State(app): State<AppState>) -> Result<Json<Vec<String>>, Failed> {
    Ok(Json(app.places.names()?))
}

/// The position service's router: the lab's own, uninstrumented one, `GET /position`,
/// wrapped in its own layer. That service is another team's, instrumented with the
/// OpenTelemetry API (exercise 12): the `traceparent` header is all the two need to share.
pub fn position_router(telemetry: &Telemetry, orbit: Orbit) -> Router {
    let tracer = crate::telemetry::position_tracer(telemetry);
    lab::service::position::router(orbit).route_layer(middleware::from_fn_with_state(tracer, instrument))
}

/// The position service's layer, as in exercise 12, without metrics: a server span in the
/// caller's context, named after the matched route.
pub(crate) async fn instrument(State(tracer): State<SdkTracer>, request: Request, next: Next) -> Response {
    let method = HttpMethod::of(&request);
    let route = request.extensions().get::<MatchedPath>().map(|matched| matched.as_str().to_owned());
    let parent = global::get_text_map_propagator(|propagator| {
        propagator.extract_with_context(&Context::new(), &HeaderExtractor(request.headers()))
    });
    let name = match &route {
        Some(route) => format!("{} {route}", method.in_name),
        None => method.in_name.to_owned(),
    };
    let mut attributes = vec![KeyValue::new(HTTP_REQUEST_METHOD, method.known)];
    attributes.extend(method.original.map(|original| KeyValue::new(HTTP_REQUEST_METHOD_ORIGINAL, original)));
    attributes.extend(route.map(|route| KeyValue::new(HTTP_ROUTE, route)));
    attributes.extend([KeyValue::new(URL_PATH, request.uri().path().to_owned()), KeyValue::new(URL_SCHEME, "http")]);
    let span = tracer
        .span_builder(name)
        .with_kind(SpanKind::Server)
        .with_attributes(attributes)
        .start_with_context(&tracer, &parent);
    let cx = parent.with_span(span);
    let response = next.run(request).with_context(cx.clone()).await;
    let status = response.status();
    cx.span().set_attribute(KeyValue::new(HTTP_RESPONSE_STATUS_CODE, i64::from(status.as_u16())));
    if status.is_server_error() {
        cx.span().set_status(Status::error(""));
        cx.span().set_attribute(KeyValue::new(ERROR_TYPE, status.as_str().to_owned()));
    }
    response
}
