//! The distance service's routes and handlers, and the position service's router. Since
//! exercise 12, one middleware instruments every route of both: the server span, with the
//! caller's context (exercise 11), and the request metrics. The handlers only add what they
//! alone know to the current span.

use std::sync::Arc;

use axum::extract::{MatchedPath, Path, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use lab::service::{AppError, DistanceReply, Places};
use lab::{Orbit, PositionClient, Telemetry};
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{SpanKind, Status, TraceContextExt as _, Tracer as _};
use opentelemetry::{Context, KeyValue, global};
use opentelemetry_http::HeaderExtractor;
use opentelemetry_sdk::trace::SdkTracer;
use opentelemetry_semantic_conventions::attribute::{
    ERROR_TYPE, HTTP_REQUEST_METHOD, HTTP_REQUEST_METHOD_ORIGINAL, HTTP_RESPONSE_STATUS_CODE, HTTP_ROUTE, URL_PATH,
    URL_SCHEME,
};

use crate::given::{
    DISTANCE_ROUTE, Failed, HttpMethod, ISS_PLACE, ISS_PLACES_COUNT, PLACES_ROUTE, RequestMetrics, find_distance,
    record_failure,
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
    let server = HttpServer { tracer: tracer.clone(), metrics: Some(metrics) };
    let state = AppState { tracer, places: Arc::new(places), position };
    Router::new()
        .route(DISTANCE_ROUTE, get(distance))
        .route(PLACES_ROUTE, get(list_places))
        // One layer around every route above: `route_layer` runs it after routing, so it
        // knows which route matched. A layer wraps the routes added before it: add it last.
        .route_layer(middleware::from_fn_with_state(server, instrument))
        .with_state(state)
}

#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) tracer: SdkTracer,
    pub(crate) places: Arc<Places>,
    pub(crate) position: PositionClient,
}

/// The position service's router: the lab's own, uninstrumented one, `GET /position`,
/// wrapped in the same layer with the position service's tracer. Code you did not write
/// gets its server spans all the same: the idea behind automatic instrumentation.
pub fn position_router(telemetry: &Telemetry, orbit: Orbit) -> Router {
    // No metrics: they would need a meter provider of the position service's own (its own
    // resource), as its spans have their own tracer provider.
    let server = HttpServer { tracer: crate::telemetry::position_tracer(telemetry), metrics: None };
    lab::service::position::router(orbit).route_layer(middleware::from_fn_with_state(server, instrument))
}

/// What the layer instruments a service's requests with: the service's tracer, and its
/// request metrics when it has some.
#[derive(Clone)]
struct HttpServer {
    tracer: SdkTracer,
    metrics: Option<RequestMetrics>,
}

/// The middleware: every request of every route it wraps, in a server span, counted, timed.
/// What each handler did by hand until now (exercises 3 to 11), once, for all of them.
async fn instrument(State(server): State<HttpServer>, request: Request, next: Next) -> Response {
    let method = HttpMethod::of(&request);
    // The route template the request matched, `/distance/{place}`, never the raw path,
    // `/distance/paris`: one span name and one time series per route, not per place.
    // `MatchedPath` is there for every request that reaches a `route_layer`.
    let route = request.extensions().get::<MatchedPath>().map(|matched| matched.as_str().to_owned());
    // In flight and timed from here, whichever way the request ends.
    let in_flight = server.metrics.as_ref().map(|metrics| metrics.in_flight(method.known));
    // The caller's context, when the request brought one (exercise 11): a service behind
    // this layer joins its callers' traces without a line in its handlers.
    let parent = global::get_text_map_propagator(|propagator| {
        propagator.extract_with_context(&Context::new(), &HeaderExtractor(request.headers()))
    });
    // HTTP server spans are named `{method} {route}` (`{method}` alone with no route), with
    // what the conventions require as attributes from the start, where samplers see them:
    // the method, the route, the path and the scheme (this server speaks plain `http`).
    let name = match &route {
        Some(route) => format!("{} {route}", method.in_name),
        None => method.in_name.to_owned(),
    };
    let mut attributes = vec![KeyValue::new(HTTP_REQUEST_METHOD, method.known)];
    attributes.extend(method.original.clone().map(|original| KeyValue::new(HTTP_REQUEST_METHOD_ORIGINAL, original)));
    attributes.extend(route.clone().map(|route| KeyValue::new(HTTP_ROUTE, route)));
    attributes.extend([KeyValue::new(URL_PATH, request.uri().path().to_owned()), KeyValue::new(URL_SCHEME, "http")]);
    let span = server
        .tracer
        .span_builder(name)
        .with_kind(SpanKind::Server)
        .with_attributes(attributes)
        .start_with_context(&server.tracer, &parent);
    let cx = parent.with_span(span);
    // The handler runs in the span's context: its spans are children of the server span, its
    // log records carry its ids, and `Context::current().span()` is the server span.
    let response = next.run(request).with_context(cx.clone()).await;
    let status = response.status();
    cx.span().set_attribute(KeyValue::new(HTTP_RESPONSE_STATUS_CODE, i64::from(status.as_u16())));
    // Only a 5xx is this server's failure (exercise 7); a 4xx leaves the status Unset.
    let error_type = if status.is_server_error() {
        match response.extensions().get::<AppError>() {
            // The handler's error, which the response carries (see `Failed`).
            Some(err) => {
                record_failure(&cx, err);
                Some(err.kind())
            }
            // A 5xx with no error of ours (another layer's answer): the status code is the
            // class of error, as the HTTP conventions say for that case, and the status has
            // no description: it would only repeat `http.response.status_code`.
            None => {
                cx.span().set_status(Status::error(""));
                cx.span().set_attribute(KeyValue::new(ERROR_TYPE, status.as_str().to_owned()));
                Some(status.as_str())
            }
        }
    } else {
        None
    };
    if let (Some(metrics), Some(in_flight)) = (&server.metrics, &in_flight) {
        metrics.record(route.as_deref(), method.known, status, error_type, in_flight.elapsed());
    }
    response
}

/// `GET /distance/{place}`: how far the ISS is from `place`. The layer made the server span
/// and keeps it current while this runs: the handler adds what only it knows.
async fn distance(State(app): State<AppState>, Path(place): Path<String>) -> Result<Json<DistanceReply>, Failed> {
    Context::current().span().set_attribute(KeyValue::new(ISS_PLACE, place.clone()));
    // The error goes back to the caller (`?` makes it a `Failed`), and the layer records it
    // on the server span and in the metrics.
    Ok(find_distance(&app, &place).await?)
}

/// `GET /places`: the places the service knows. Never instrumented by hand: the layer
/// gives it its span and its metrics like every other route.
async fn list_places(State(app): State<AppState>) -> Json<Vec<&'static str>> {
    Json(app.places.names())
}
