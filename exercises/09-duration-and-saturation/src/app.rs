//! Exercise 9 measures request durations and the requests in flight: `RequestMetrics` and
//! its `InFlight` guard, here. The routes and handlers that use them, done in earlier
//! exercises, are in `given.rs`.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use lab::service::AppError;
use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Meter};
use opentelemetry_semantic_conventions::attribute::{
    ERROR_TYPE, HTTP_REQUEST_METHOD, HTTP_RESPONSE_STATUS_CODE, HTTP_ROUTE,
};

/// REDS: rate and errors (one counter, `error.type` on the failures), duration (a
/// histogram) and saturation (an up-down counter), made once, when the service starts
/// (instruments are cheap to clone and meant to be kept, not made per request).
#[derive(Clone)]
pub(crate) struct RequestMetrics {
    requests: Counter<u64>,
    // TODO (1 of 3): two more instruments, kept here: how long requests take, and how many
    // are in flight right now (README, "What to add").
}

impl RequestMetrics {
    pub(crate) fn new(meter: &Meter) -> Self {
        // The unit of a count of things is the thing, in braces (UCUM annotations).
        let requests = meter
            .u64_counter(ISS_REQUESTS)
            .with_unit("{request}")
            .with_description("Requests answered, by route, method, status code and, for failures, error type")
            .build();
        // TODO (1 of 3): make them from the meter, with the semantic conventions' names (the
        // crate's constants, never typed), units, descriptions and, for the durations, the
        // conventions' bucket boundaries (README, "What to add" and "Duration").
        Self { requests }
    }

    /// One more request in flight, until the returned guard is dropped: however the
    /// handler ends (a reply, a `?` that returns an error early, a panic), the count goes
    /// back down.
    pub(crate) fn in_flight(&self) -> InFlight {
        // TODO (2 of 3): count one more request in flight, with what is known before routing
        // (README, "Saturation"), and give the guard what it needs to count it out again.
        InFlight { started: Instant::now() }
    }

    /// Counts one answered request, with its `error.type` when it failed by this server's
    /// fault, and records how long it took.
    ///
    /// Every distinct set of attribute values is a time series of its own, kept in memory
    /// and stored by the backend: only low-cardinality values here, a handful each (the
    /// route template, the method, the status code, the kind of error), never the place,
    /// an id or the raw path. Those belong on spans and logs.
    #[allow(unused_variables)] // until you record `elapsed`
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
        // TODO (3 of 3): record how long the request took, in the conventions' unit, with the
        // conventions' attributes: these, plus the scheme (README, "What to add" and
        // "Duration").
    }
}

/// A request in flight: counted in `http.server.active_requests` from
/// [`RequestMetrics::in_flight`] until dropped, and timed from the same moment.
pub(crate) struct InFlight {
    // TODO (2 of 3): what the guard needs to count the request out again (README,
    // "Saturation").
    started: Instant,
}

impl InFlight {
    /// How long the request has been in flight.
    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

// TODO (2 of 3): the request goes out of flight when its guard is dropped, however the
// handler ended: a reply, a `?` that returned early, a panic (README, "Saturation").

// This service's own metric. The semantic conventions have no request counter (their
// `http.server.request.duration` histogram counts requests too, exercise 9), so it is the
// service's own, under its `iss.` namespace like its attributes, and named once, here.
/// Requests answered, a counter in `{request}`: the rate, and with `error.type` on the
/// failed ones, the errors. One metric, not a second counter for the errors: the
/// conventions' advice (recording errors), so that the error ratio is one query.
pub const ISS_REQUESTS: &str = "iss.requests";
