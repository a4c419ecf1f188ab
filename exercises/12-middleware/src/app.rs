//! The distance service's routes and handlers (since exercise 10 they also log, with `tracing`
//! and `log`), and since exercise 11 the position service's router: the two services pass
//! the trace context along with each request, in the W3C `traceparent` header.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::get;
use axum::{Json, Router};
use lab::service::{AppError, DistanceReply, Places, Position};
use lab::{Orbit, PositionClient, Telemetry};
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{SpanKind, TraceContextExt as _, Tracer as _};
use opentelemetry::{Context, KeyValue, global};
use opentelemetry_http::HeaderExtractor;
use opentelemetry_sdk::trace::SdkTracer;
use opentelemetry_semantic_conventions::attribute::{
    HTTP_REQUEST_METHOD, HTTP_RESPONSE_STATUS_CODE, HTTP_ROUTE, URL_PATH, URL_SCHEME,
};

use crate::given::{
    DISTANCE_ROUTE, Failed, ISS_PLACE, ISS_PLACES_COUNT, PLACES_ROUTE, RequestMetrics, fail, find_distance,
};

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
    // TODO: one layer for every route. Each handler below starts its own server span and
    // records its own metrics (`distance`, and `position` in the position service), and
    // `list_places` has no span at all: someone forgot. Move all of it into one middleware
    // around every route, and `/places` gets its span for free (README: "1. The
    // middleware", "2. Around every route"):
    // - one server span per request, named `{method} {route}` after the route that matched
    //   (never the raw path), child of the caller's context, with the conventions' required
    //   attributes, the status code, and for a 5xx the handler's error (which `Failed` leaves
    //   in the response); the handler runs inside it;
    // - the request metrics, counted and timed once per request;
    // - the same layer on the position service, around the lab's own router, with its own
    //   tracer and no metrics.
    // Then strip the handlers (README: "3. Handlers without instrumentation"), or every
    // request gets two server spans and is counted twice.
    Router::new().route(DISTANCE_ROUTE, get(distance)).route(PLACES_ROUTE, get(list_places)).with_state(state)
}

#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) tracer: SdkTracer,
    pub(crate) metrics: RequestMetrics,
    pub(crate) places: Arc<Places>,
    pub(crate) position: PositionClient,
}

/// `GET /distance/{place}`: how far the ISS is from `place`.
async fn distance(
    State(app): State<AppState>,
    Path(place): Path<String>,
    uri: Uri,
) -> Result<Json<DistanceReply>, Failed> {
    // In flight (and timed) from here until the handler returns, whichever way it does.
    let in_flight = app.metrics.in_flight("GET");
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
    // Only a 5xx is this server's failure. A 4xx is the caller's mistake (here, an unknown
    // place): HTTP server conventions leave the server span's status Unset for it, and the
    // status code already says what happened.
    let error_type = result.as_ref().err().filter(|_| status.is_server_error()).map(AppError::kind);
    app.metrics.record(Some(DISTANCE_ROUTE), "GET", status, error_type, in_flight.elapsed());
    let reply = result.map_err(|err| if status.is_server_error() { fail(&cx, err) } else { err })?;
    Ok(reply)
}

/// `GET /places`: the places the service knows.
async fn list_places(State(app): State<AppState>) -> Json<Vec<&'static str>> {
    let in_flight = app.metrics.in_flight("GET");
    let names = app.places.names();
    app.metrics.record(Some(PLACES_ROUTE), "GET", StatusCode::OK, None, in_flight.elapsed());
    Json(names)
}

/// The position service: its own tracer (its own provider, whose resource names it
/// `iss-position`), and where the ISS is.
#[derive(Clone)]
struct PositionService {
    tracer: SdkTracer,
    orbit: Orbit,
}

/// The position service's one route.
const POSITION_ROUTE: &str = "/position";

/// The position service's router, `GET /position`, instrumented: the lab's own answers the
/// same thing without a span.
pub fn position_router(telemetry: &Telemetry, orbit: Orbit) -> Router {
    let service = PositionService { tracer: crate::telemetry::position_tracer(telemetry), orbit };
    Router::new().route(POSITION_ROUTE, get(position)).with_state(service)
}

/// `GET /position`: where the ISS is now, in a server span that continues the caller's trace.
async fn position(State(service): State<PositionService>, headers: HeaderMap, uri: Uri) -> Json<Position> {
    // The caller's context, read back from the request's `traceparent` header: a remote
    // span context (the caller's client span), or an empty context when the request
    // carries none (a `curl` straight to this service starts a trace of its own).
    // `extract_with_context(&Context::new(), ..)`: from the headers alone. `extract(..)`
    // would add them to the current context: wherever that is not empty (a service called
    // in-process, a test run inside a span), the trace would look connected even without
    // the header. Between two processes, only the header crosses.
    let parent = global::get_text_map_propagator(|propagator| {
        propagator.extract_with_context(&Context::new(), &HeaderExtractor(&headers))
    });
    // A server span's parent is the one the request brought, never whatever context the
    // thread happens to have: `start_with_context` says so explicitly.
    let span = service
        .tracer
        .span_builder("GET /position")
        .with_kind(SpanKind::Server)
        .with_attributes([
            KeyValue::new(HTTP_REQUEST_METHOD, "GET"),
            KeyValue::new(HTTP_ROUTE, POSITION_ROUTE),
            KeyValue::new(URL_PATH, uri.path().to_owned()),
            KeyValue::new(URL_SCHEME, "http"),
        ])
        .start_with_context(&service.tracer, &parent);
    let cx = parent.with_span(span);
    let position = service.orbit.now();
    cx.span().set_attribute(KeyValue::new(HTTP_RESPONSE_STATUS_CODE, i64::from(StatusCode::OK.as_u16())));
    Json(position)
}
