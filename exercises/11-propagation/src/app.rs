//! The distance service's routes and handlers (since exercise 10 they also log, with `tracing`
//! and `log`), and since exercise 11 the position service's router: the two services pass
//! the trace context along with each request, in the W3C `traceparent` header.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::routing::get;
use axum::{Json, Router};
use lab::service::{AppError, Position};
use lab::{Orbit, PositionClient, Telemetry};
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{SpanKind, TraceContextExt as _, Tracer as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::SdkTracer;
use opentelemetry_semantic_conventions::attribute::{
    GEO_LOCATION_LAT, GEO_LOCATION_LON, HTTP_REQUEST_METHOD, HTTP_RESPONSE_STATUS_CODE, HTTP_ROUTE, SERVER_ADDRESS,
    SERVER_PORT, URL_FULL, URL_PATH, URL_SCHEME,
};

use crate::given::{AppState, POSITION_ROUTE, fail};

/// `GET /position` on the position service, in a client span: this service is the
/// client of that call. HTTP client spans are named after the method alone (there is no
/// route template on this side), so the span is `GET`.
pub(crate) async fn fetch_position(app: &AppState) -> Result<Position, AppError> {
    // `start` takes the current context (the server span's) as the parent. What the HTTP
    // client conventions require is known before the call: the method, the full URL, and
    // where the request goes, `server.address` and `server.port` (from the request's URL).
    let request = app.position.request();
    let (address, port) = (request.uri().host().unwrap_or_default().to_owned(), request.uri().port_u16().unwrap_or(80));
    let span = app
        .tracer
        .span_builder("GET")
        .with_kind(SpanKind::Client)
        .with_attributes([
            KeyValue::new(HTTP_REQUEST_METHOD, "GET"),
            KeyValue::new(URL_FULL, app.position.url()),
            KeyValue::new(SERVER_ADDRESS, address),
            KeyValue::new(SERVER_PORT, i64::from(port)),
        ])
        .start(&app.tracer);
    let cx = Context::current_with_span(span);
    // TODO (1 of 2): inject. The position service knows nothing of this trace unless the
    // request carries it: write the client span's context (the one in `cx`, not the current
    // one) into the headers of the request sent below, as the W3C `traceparent` header, with
    // the propagator registered in `telemetry.rs`. README: "1. Inject, on the way out".
    // Given: the call in two steps, so that the response's status can be recorded.
    let response = app.position.send(request).with_context(cx.clone()).await.map_err(|err| fail(&cx, err))?;
    cx.span().set_attribute(KeyValue::new(HTTP_RESPONSE_STATUS_CODE, i64::from(response.status().as_u16())));
    let iss = PositionClient::read(response).with_context(cx.clone()).await.map_err(|err| fail(&cx, err))?;
    // The answer arrived and made sense: when, and what it said.
    cx.span().add_event(
        "iss.position.received",
        vec![
            KeyValue::new(GEO_LOCATION_LAT, iss.coordinates.latitude),
            KeyValue::new(GEO_LOCATION_LON, iss.coordinates.longitude),
        ],
    );
    Ok(iss)
}

/// `GET /position`: where the ISS is now, in a server span that continues the caller's trace.
async fn position(State(service): State<PositionService>, uri: Uri) -> Json<Position> {
    // TODO (2 of 2): extract. This span's parent is the caller's client span, in another
    // service: read its context back from the request's headers (one more parameter of this
    // handler), starting from an empty context, so that a request without the header starts
    // a trace of its own. README: "2. Extract, on the way in".
    let parent = Context::new();
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

/// The position service: its own tracer (its own provider, whose resource names it
/// `iss-position`), and where the ISS is.
#[derive(Clone)]
struct PositionService {
    tracer: SdkTracer,
    orbit: Orbit,
}

/// The position service's router, `GET /position`, instrumented: the lab's own answers the
/// same thing without a span.
pub fn position_router(telemetry: &Telemetry, orbit: Orbit) -> Router {
    let service = PositionService { tracer: crate::telemetry::position_tracer(telemetry), orbit };
    Router::new().route(POSITION_ROUTE, get(position)).with_state(service)
}
