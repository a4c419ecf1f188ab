//! Exercise 9 measures request durations and the requests in flight: `RequestMetrics` and
//! its `InFlight` guard, here. The routes and handlers that use them, done in earlier
//! exercises, are in `given.rs`.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use lab::service::AppError;
use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram, Meter, UpDownCounter};
use opentelemetry_semantic_conventions::attribute::{
    ERROR_TYPE, HTTP_REQUEST_METHOD, HTTP_RESPONSE_STATUS_CODE, HTTP_ROUTE, URL_SCHEME,
};
use opentelemetry_semantic_conventions::metric::{HTTP_SERVER_ACTIVE_REQUESTS, HTTP_SERVER_REQUEST_DURATION};

/// REDS: rate and errors (one counter, `error.type` on the failures), duration (a
/// histogram) and saturation (an up-down counter), made once, when the service starts
/// (instruments are cheap to clone and meant to be kept, not made per request).
#[derive(Clone)]
pub(crate) struct RequestMetrics {
    requests: Counter<u64>,
    duration: Histogram<f64>,
    active: UpDownCounter<i64>,
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
    active: UpDownCounter<i64>,
    attributes: [KeyValue; 2],
    started: Instant,
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

/// The bucket boundaries of `http.server.request.duration`, in seconds: the semantic
/// conventions' advice, from 5 ms to 10 s. The SDK's default boundaries (0 to 10 000) are
/// made for milliseconds: with seconds, nearly every request would land in the first bucket.
const DURATION_BUCKETS: [f64; 14] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

// This service's own metric. The semantic conventions have no request counter (their
// `http.server.request.duration` histogram counts requests too, exercise 9), so it is the
// service's own, under its `iss.` namespace like its attributes, and named once, here.
/// Requests answered, a counter in `{request}`: the rate, and with `error.type` on the
/// failed ones, the errors. One metric, not a second counter for the errors: the
/// conventions' advice (recording errors), so that the error ratio is one query.
pub const ISS_REQUESTS: &str = "iss.requests";
