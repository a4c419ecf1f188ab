//! Exercise 8 counts requests and errors: `RequestMetrics`, here. The routes and handlers
//! that call it, done in earlier exercises, are in `given.rs`.

use axum::http::StatusCode;
use lab::service::AppError;
use opentelemetry::metrics::Meter;

/// Rate and errors, the R and E of RED: one counter, made once, when the service starts
/// (instruments are cheap to clone and meant to be kept, not made per request).
#[derive(Clone)]
pub(crate) struct RequestMetrics {
    // TODO (1 of 2): the counter of requests answered, kept here: made once, when the
    // service starts, and used for every request (README, "What to do").
}

impl RequestMetrics {
    #[allow(unused_variables)] // until you make the counter with `meter`
    pub(crate) fn new(meter: &Meter) -> Self {
        // TODO (1 of 2): make the counter from the meter: `ISS_REQUESTS`, counting in whole
        // numbers, with the unit and description of the README's "What the checker
        // expects" (a count of things has the thing, in braces, as its unit: "Names and units").
        Self {}
    }

    /// Counts one answered request, with its `error.type` when it failed by this server's
    /// fault.
    /// The handlers call it once per request, with the route template and the status code
    /// they answered, and the error when there was one.
    #[allow(unused_variables)] // until you count with it
    pub(crate) fn record(&self, route: &'static str, status: StatusCode, error: Option<&AppError>) {
        // TODO (2 of 2): count this request, once, with the attributes of the README's table
        // (the conventions' keys and types, as on the server span); `error.type` only when
        // this server failed, a 5xx. Only low-cardinality values ("Low cardinality, always").
    }
}

// This service's own metric. The semantic conventions have no request counter (exercise
// 9's `http.server.request.duration` histogram counts requests too), so it is the
// service's own, under its `iss.` namespace like its attributes, and named once, here.
/// Requests answered, a counter in `{request}`: the rate, and with `error.type` on the
/// failed ones, the errors. One metric, not a second counter for the errors: the
/// conventions' advice (recording errors), so that the error ratio is one query.
pub const ISS_REQUESTS: &str = "iss.requests";
