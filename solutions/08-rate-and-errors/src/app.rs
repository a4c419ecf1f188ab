//! Exercise 8 counts requests and errors: `RequestMetrics`, here. The routes and handlers
//! that call it, done in earlier exercises, are in `given.rs`.

use axum::http::StatusCode;
use lab::service::AppError;
use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Meter};
use opentelemetry_semantic_conventions::attribute::{
    ERROR_TYPE, HTTP_REQUEST_METHOD, HTTP_RESPONSE_STATUS_CODE, HTTP_ROUTE,
};

/// Rate and errors, the R and E of RED: one counter, made once, when the service starts
/// (instruments are cheap to clone and meant to be kept, not made per request).
#[derive(Clone)]
pub(crate) struct RequestMetrics {
    requests: Counter<u64>,
}

impl RequestMetrics {
    pub(crate) fn new(meter: &Meter) -> Self {
        // The unit of a count of things is the thing, in braces (UCUM annotations).
        let requests = meter
            .u64_counter(ISS_REQUESTS)
            .with_unit("{request}")
            .with_description("Requests answered, by route, method, status code and, for failures, error type")
            .build();
        Self { requests }
    }

    /// Counts one answered request, with its `error.type` when it failed by this server's
    /// fault.
    ///
    /// Every distinct set of attribute values is a time series of its own, kept in memory
    /// and stored by the backend: only low-cardinality values here, a handful each (the
    /// route template, the method, the status code, the kind of error), never the place,
    /// an id or the raw path. Those belong on spans and logs.
    pub(crate) fn record(&self, route: &'static str, status: StatusCode, error: Option<&AppError>) {
        let route = KeyValue::new(HTTP_ROUTE, route);
        let method = KeyValue::new(HTTP_REQUEST_METHOD, "GET");
        let status_code = KeyValue::new(HTTP_RESPONSE_STATUS_CODE, i64::from(status.as_u16()));
        let mut attributes = vec![route, method, status_code];
        // As on the server span (exercise 7), only a 5xx is this server's failure, counted
        // with its `error.type`; a 4xx is the caller's mistake, counted with its status code.
        if let Some(err) = error
            && status.is_server_error()
        {
            attributes.push(KeyValue::new(ERROR_TYPE, err.kind()));
        }
        self.requests.add(1, &attributes);
    }
}

// This service's own metric. The semantic conventions have no request counter (exercise
// 9's `http.server.request.duration` histogram counts requests too), so it is the
// service's own, under its `iss.` namespace like its attributes, and named once, here.
/// Requests answered, a counter in `{request}`: the rate, and with `error.type` on the
/// failed ones, the errors. One metric, not a second counter for the errors: the
/// conventions' advice (recording errors), so that the error ratio is one query.
pub const ISS_REQUESTS: &str = "iss.requests";
