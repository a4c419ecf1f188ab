//! Scenarios: the fixed sequences of requests the checker drives through a service.
//!
//! A scenario covers the success path and the error paths on purpose, so that status,
//! exceptions and error counters have something to show. The checker names the scenario
//! of each exercise in `exercises/track.toml`.

use axum::Router;
use axum::body::Body;
use http::Request;
use tower::ServiceExt;

use crate::service::{Orbit, PositionClient};
use crate::{Service, Telemetry};

/// One thing a scenario does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// `GET` this path on the distance service.
    Get(&'static str),
    /// Make the position service unreachable (connection refused) or reachable again.
    PositionDown(bool),
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: &'static str,
    pub steps: &'static [Step],
}

/// The scenario almost every exercise uses: one success, an unknown place (404), the
/// position service down (502), and the list of places (a second route).
pub const DISTANCE: Scenario = Scenario {
    name: "distance",
    steps: &[
        Step::Get("/distance/paris"),
        Step::Get("/distance/atlantis"),
        Step::PositionDown(true),
        Step::Get("/distance/tokyo"),
        Step::PositionDown(false),
        Step::Get("/places"),
    ],
};

pub const ALL: &[Scenario] = &[DISTANCE];

pub fn named(name: &str) -> Option<&'static Scenario> {
    ALL.iter().find(|s| s.name == name)
}

impl Scenario {
    /// Builds the services the way a real run does (only the transport between them is
    /// in-process), runs every step, and returns one line per request with its status.
    pub async fn run<S: Service>(&self, telemetry: &Telemetry) -> Vec<String> {
        let position_router = S::position(telemetry, Orbit::checker());
        let (position, switch) = PositionClient::in_process(position_router);
        let distance: Router = S::distance(telemetry, position);
        let mut requests = Vec::new();
        for step in self.steps {
            match *step {
                Step::PositionDown(down) => switch.set_down(down),
                Step::Get(path) => {
                    let request = Request::get(path).body(Body::empty()).expect("scenario paths are valid URIs");
                    let response = distance.clone().oneshot(request).await.unwrap_or_else(|never| match never {});
                    requests.push(format!("GET {path} -> {}", response.status().as_u16()));
                }
            }
        }
        requests
    }
}
