//! The position service (where is the ISS now?) and the client the distance service
//! calls it with.
//!
//! Under the checker the client sends its requests to the position service's router
//! in-process (tower `oneshot`), and the scenario can take the service "down" to drive the
//! error path. Run for real, the same client speaks HTTP over TCP.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::{Deserialize, Serialize};
use tower::ServiceExt;

use super::Coordinates;

/// The ISS's position as the position service reports it: what
/// [`PositionClient::fetch`] (or [`PositionClient::read`]) gives back. On the wire it is
/// `{"latitude": .., "longitude": ..}`; in Rust the two numbers are in
/// [`Position::coordinates`] (`position.coordinates.latitude`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// Where the ISS is, in degrees.
    #[serde(flatten)]
    pub coordinates: Coordinates,
}

/// Where the position service gets the ISS from: injected, so that snapshots are stable.
#[derive(Debug, Clone, Copy)]
pub enum Orbit {
    /// Always the same place (what the checker uses).
    Fixed(Coordinates),
    /// A simple simulated orbit driven by the clock (what a real run uses; no network).
    Simulated,
}

impl Orbit {
    /// The position the checker's scenarios use: over the Gulf of Guinea.
    pub fn checker() -> Self {
        Orbit::Fixed(Coordinates { latitude: 4.5, longitude: 3.25 })
    }

    /// Where the ISS is now, by this orbit.
    pub fn now(&self) -> Position {
        let coordinates = match *self {
            Orbit::Fixed(c) => c,
            Orbit::Simulated => {
                // 51.6° inclination, ~92.7 min period; good enough to move on a map.
                let t = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64();
                let phase = (t / (92.7 * 60.0)) * std::f64::consts::TAU;
                let latitude = 51.6 * phase.sin();
                let longitude = ((t / 240.0 + phase.to_degrees()) % 360.0) - 180.0;
                Coordinates { latitude, longitude }
            }
        };
        Position { coordinates }
    }
}

/// Where a load balancer asks whether the position service is up.
pub const HEALTH_ROUTE: &str = "/health";

/// The position service's router: `GET /position`, and its health check `GET /health`
/// (a route no handler of the exercises writes: a layer around this router instruments it
/// too, hand-written instrumentation in a handler of one's own does not).
pub fn router(orbit: Orbit) -> Router {
    Router::new().route("/position", get(position)).route(HEALTH_ROUTE, get(|| async { "ok" })).with_state(orbit)
}

async fn position(State(orbit): State<Orbit>) -> Json<Position> {
    Json(orbit.now())
}

/// Why the position could not be fetched.
#[derive(Debug, Clone, PartialEq)]
pub enum PositionError {
    /// The service could not be reached (connection refused, service down).
    Unreachable(String),
    /// It answered with an error status.
    Status(u16),
    /// It answered something that is not a position.
    BadReply(String),
}

impl std::fmt::Display for PositionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PositionError::Unreachable(why) => write!(f, "position service unreachable ({why})"),
            PositionError::Status(code) => write!(f, "position service answered {code}"),
            PositionError::BadReply(why) => write!(f, "position service sent a bad reply ({why})"),
        }
    }
}

impl std::error::Error for PositionError {}

/// The distance service's client for the position service: the one outgoing call of a
/// request, the one a client span and context propagation are about.
///
/// A handler gets it from its state and calls [`PositionClient::fetch`] (a
/// `Result<Position, PositionError>`; `?` turns the error into [`AppError`](super::AppError)'s
/// 502). To add headers (a `traceparent`), build the request with
/// [`PositionClient::request`], change its headers, then [`PositionClient::send`] it and
/// [`PositionClient::read`] the reply. [`PositionClient::url`] is the URL a client span
/// records. Under the checker it calls the position service in-process; run for real,
/// over HTTP.
#[derive(Clone)]
pub struct PositionClient {
    base_url: String,
    transport: Transport,
}

#[derive(Clone)]
enum Transport {
    InProcess { router: Router, switch: PositionSwitch },
    // Boxed: with hyper-util's `http2` (the capture's receiver serves HTTP/2) a client is large.
    Tcp(Box<Client<HttpConnector, Body>>),
}

/// How long the in-process position service takes to answer: a fixed latency, so that
/// the checker can tell a span that covers the call from one that ended before it, and
/// durations recorded in milliseconds from durations in seconds.
pub const IN_PROCESS_LATENCY: Duration = Duration::from_millis(20);

/// The in-process position service's controls and record (the checker's scenarios): take
/// it down and up again, and make it hang (when each call was made, the lab's marks say).
#[derive(Clone, Default)]
pub struct PositionSwitch(Arc<SwitchState>);

#[derive(Default)]
struct SwitchState {
    down: AtomicBool,
    hang: AtomicBool,
    /// Set when a call arrives while the service hangs: the caller is now waiting.
    waiting: AtomicBool,
}

impl PositionSwitch {
    pub fn set_down(&self, down: bool) {
        self.0.down.store(down, Ordering::SeqCst);
    }

    /// A hanging service never answers: the caller waits until it gives up.
    pub fn set_hang(&self, hang: bool) {
        self.0.hang.store(hang, Ordering::SeqCst);
        self.0.waiting.store(false, Ordering::SeqCst);
    }

    /// Whether a call has reached the hanging service since [`PositionSwitch::set_hang`].
    pub fn caller_waiting(&self) -> bool {
        self.0.waiting.load(Ordering::SeqCst)
    }
}

/// The base URL the position service has under the checker and, by default, for real.
pub const DEFAULT_POSITION_URL: &str = "http://127.0.0.1:3001";

impl PositionClient {
    /// A client that calls `router` in-process, as if it listened on [`DEFAULT_POSITION_URL`].
    pub fn in_process(router: Router) -> (Self, PositionSwitch) {
        let switch = PositionSwitch::default();
        let client = Self {
            base_url: DEFAULT_POSITION_URL.to_string(),
            transport: Transport::InProcess { router, switch: switch.clone() },
        };
        (client, switch)
    }

    /// A client that calls the position service over HTTP at `base_url`.
    pub fn tcp(base_url: impl Into<String>) -> Self {
        let client = Client::builder(TokioExecutor::new()).build_http();
        Self { base_url: base_url.into(), transport: Transport::Tcp(Box::new(client)) }
    }

    /// The full URL of `GET /position` (what `url.full` holds on a client span).
    pub fn url(&self) -> String {
        format!("{}/position", self.base_url.trim_end_matches('/'))
    }

    /// Where `GET /position` goes: the host of its URL, what `server.address` holds on a
    /// client span. Known before the call, so it can be given when the span starts.
    pub fn host(&self) -> String {
        self.uri().host().unwrap_or_default().to_owned()
    }

    /// The port of its URL (80 when the URL gives none), what `server.port` holds.
    pub fn port(&self) -> u16 {
        self.uri().port_u16().unwrap_or(80)
    }

    fn uri(&self) -> http::Uri {
        self.url().parse().unwrap_or_default()
    }

    /// The request [`PositionClient::fetch`] sends; build it yourself to add headers.
    pub fn request(&self) -> Request<Body> {
        Request::get(self.url()).body(Body::empty()).expect("a GET request with a static URL is valid")
    }

    /// Sends a request to the position service.
    pub async fn send(&self, request: Request<Body>) -> Result<Response<Body>, PositionError> {
        match &self.transport {
            Transport::InProcess { router, switch } => {
                // When the call went out and returned, and which span was current then (the client
                // span, once there is one): the harness's `covers_call` and `current_at_call`.
                let mark = super::marks::begin(super::marks::Moment::Call);
                if switch.0.down.load(Ordering::SeqCst) {
                    if let Some(mark) = mark {
                        mark.returned();
                    }
                    return Err(PositionError::Unreachable("connection refused".into()));
                }
                if switch.0.hang.load(Ordering::SeqCst) {
                    switch.0.waiting.store(true, Ordering::SeqCst);
                    return std::future::pending().await;
                }
                // In a task of its own, like a server: the caller's current context (its
                // OpenTelemetry context, its `tracing` span) must not reach the position
                // service by any way but the request's headers.
                let router = router.clone();
                let call = tokio::spawn(async move {
                    tokio::time::sleep(IN_PROCESS_LATENCY).await;
                    router.oneshot(request).await
                });
                let result = match call.await {
                    Ok(response) => Ok(response.unwrap_or_else(|never| match never {})),
                    Err(e) => Err(PositionError::Unreachable(format!("the position service failed: {e}"))),
                };
                if let Some(mark) = mark {
                    mark.returned();
                }
                result
            }
            Transport::Tcp(client) => {
                let response = client.request(request).await.map_err(|e| PositionError::Unreachable(e.to_string()))?;
                Ok(response.map(Body::new))
            }
        }
    }

    /// Reads a position out of the service's response.
    pub async fn read(response: Response<Body>) -> Result<Position, PositionError> {
        let status = response.status();
        if status != StatusCode::OK {
            return Err(PositionError::Status(status.as_u16()));
        }
        let bytes =
            response.into_body().collect().await.map_err(|e| PositionError::BadReply(e.to_string()))?.to_bytes();
        serde_json::from_slice(&bytes).map_err(|e| PositionError::BadReply(e.to_string()))
    }

    /// `GET /position`: sends [`PositionClient::request`] and reads the reply.
    pub async fn fetch(&self) -> Result<Position, PositionError> {
        Self::read(self.send(self.request()).await?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn in_process_client_fetches_and_can_be_taken_down() {
        let (client, switch) = PositionClient::in_process(router(Orbit::checker()));
        let position = client.fetch().await.unwrap();
        assert_eq!(position.coordinates, Coordinates { latitude: 4.5, longitude: 3.25 });
        switch.set_down(true);
        let err = client.fetch().await.unwrap_err();
        assert_eq!(err, PositionError::Unreachable("connection refused".into()));
        assert_eq!(client.url(), "http://127.0.0.1:3001/position");
    }
}
