//! Scenarios: the fixed sequences of requests the checker drives through a service.
//!
//! A scenario covers the success path and the error paths on purpose, so that status,
//! exceptions and error counters have something to show. The checker names the scenario
//! of each exercise in `exercises/track.toml`; later exercises add requests that only
//! their lesson needs (a caller that gives up, incoming trace context).

use std::time::SystemTime;

use axum::Router;
use axum::body::Body;
use http::Request;
use opentelemetry::Context;
use opentelemetry::context::FutureExt as _;
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState};
use tower::ServiceExt;

use crate::service::faults::{self, Fault};
use crate::service::marks::{self, Mark, Moment};
use crate::service::{Orbit, PositionClient};
use crate::{Service, Telemetry};

/// One thing a scenario does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    /// `GET` this path on the distance service.
    Get(&'static str),
    /// `GET` this path with an incoming W3C `traceparent`, as from an instrumented caller.
    GetWithParent(&'static str, Parent),
    /// `GET` this path, and give up while the handler waits for the position service (as a
    /// client timeout does): the handler's future is dropped mid-flight.
    GetAbandoned(&'static str),
    /// `GET` this path on the position service itself, as its load balancer's health
    /// check does: a request that reaches the lab's own router, not the distance service.
    GetOnPosition(&'static str),
    /// Make the position service unreachable (connection refused) or reachable again.
    PositionDown(bool),
    /// `GET` this path on the position service with no `traceparent`, while a span of the
    /// caller's is the current one, as where a gateway handles a request inside its own
    /// span: only a service that extracts onto an empty context starts a trace of its own.
    GetOnPositionInsideSpan(&'static str),
    /// `GET` this path with an incoming `traceparent` and a W3C `baggage` header (its
    /// value, `key=value` pairs separated by commas), as from an instrumented caller that
    /// tells which client it serves.
    GetWithBaggage(&'static str, Parent, &'static str),
    /// Turn a failure of a system the service depends on on or off (the database refusing
    /// queries, the sightings store refusing jobs): what the given code does then is in
    /// [`faults`](crate::service::faults). A request made while one is on says so in its
    /// label.
    Fault(Fault, bool),
}

/// An incoming trace context, chosen against the ratio sampler the track teaches (0.5).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Parent {
    /// Sampled by the caller, with a trace id a plain 0.5 ratio sampler would drop: kept
    /// only by a sampler that follows its parent.
    SampledRatioDrops,
    /// Not sampled by the caller, with a trace id a plain 0.5 ratio sampler would keep:
    /// dropped only by a sampler that follows its parent.
    UnsampledRatioKeeps,
}

impl Parent {
    /// The `traceparent` header. The SDK's ratio sampler keeps a trace when the low 64 bits
    /// of its id, shifted right once, are below `ratio * 2^63`.
    pub fn traceparent(self) -> &'static str {
        match self {
            Parent::SampledRatioDrops => "00-4bf92f3577b34da6f000000000000001-00f067aa0ba902b7-01",
            Parent::UnsampledRatioKeeps => "00-4bf92f3577b34da60000000000000001-00f067aa0ba902b7-00",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Parent::SampledRatioDrops => "with a sampled traceparent",
            Parent::UnsampledRatioKeeps => "with an unsampled traceparent",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: &'static str,
    /// What it does, in groups of steps (the scenarios share some), run in order.
    pub steps: &'static [&'static [Step]],
    /// Environments of further captures of the same scenario, each in a process of its
    /// own, to see that the service honours the operator's variables (the traces it kept
    /// and its resource are compared).
    pub env_captures: &'static [&'static [(&'static str, &'static str)]],
}

/// The requests every scenario starts from, in groups that the scenarios below put
/// together: one success, an unknown place (404), the position service down (a 502) ...
const DOWN: &[Step] = &[
    Step::Get("/distance/paris"),
    Step::Get("/distance/atlantis"),
    Step::PositionDown(true),
    Step::Get("/distance/tokyo"),
];

/// ... and up again, and the list of places (a second route).
const UP: &[Step] = &[Step::PositionDown(false), Step::Get("/places")];

/// A caller that gives up while the handler waits for the position service.
const ABANDONED: &[Step] = &[Step::GetAbandoned("/distance/lima")];

/// The scenario almost every exercise uses: [`DOWN`], then [`UP`].
pub const DISTANCE: Scenario = Scenario { name: "distance", steps: &[DOWN, UP], env_captures: &[] };

/// From exercise 9 on (requests in flight): the same, then a caller that gives up while
/// the handler waits for the position service, so that only a guard dropped with the
/// handler keeps `http.server.active_requests` right.
pub const SATURATION: Scenario = Scenario { name: "saturation", steps: &[DOWN, UP, ABANDONED], env_captures: &[] };

/// Exercise 11 (propagation): the saturation scenario, then a request to the position
/// service without trace context while a span is current where it is handled: extraction
/// onto the current context (`extract(..)`) makes that span its parent.
pub const PROPAGATION: Scenario = Scenario {
    name: "propagation",
    steps: &[DOWN, UP, ABANDONED, &[Step::GetOnPositionInsideSpan("/position")]],
    env_captures: &[],
};

/// Exercise 12 (a layer instruments every route): the saturation scenario, then the
/// position service's health check, which only a layer around the lab's own position
/// router sees; instrumentation written into a handler of one's own does not.
pub const MIDDLEWARE: Scenario = Scenario {
    name: "middleware",
    steps: &[DOWN, UP, ABANDONED, &[Step::GetOnPosition(crate::service::position::HEALTH_ROUTE)]],
    env_captures: &[],
};

/// A request with a sampled trace context while the position service is down, so that a
/// failing request is in a kept trace.
const SAMPLED_FAILURE: &[Step] = &[Step::GetWithParent("/distance/nairobi", Parent::SampledRatioDrops)];

/// A request with an unsampled trace context while the position service is up, so that
/// the position service's sampler shows.
const UNSAMPLED: &[Step] = &[Step::GetWithParent("/distance/sydney", Parent::UnsampledRatioKeeps)];

/// Exercises 13 and 14 (sampling, batching): the saturation scenario, then requests that
/// arrive with a trace context ([`SAMPLED_FAILURE`], [`UNSAMPLED`]), and a second capture
/// with the standard sampler variables asking for every trace.
pub const SHIPPING: Scenario = Scenario {
    name: "shipping",
    steps: &[DOWN, SAMPLED_FAILURE, UP, ABANDONED, UNSAMPLED],
    env_captures: SAMPLER_VARIABLES,
};

/// The operator's sampler variables, one capture each: both together ask for every trace;
/// the argument alone changes nothing (the SDK reads it according to `OTEL_TRACES_SAMPLER`,
/// so the code's default sampler stays), which a service that parses the ratio itself gets
/// wrong.
///
/// And an argument that is no number, as an operator's typo: the SDK warns and falls back
/// to a ratio of 1, so every trace is kept; a service that parses the variables itself
/// and stops on a bad value loses its telemetry, or the service.
const SAMPLER_VARIABLES: &[&[(&str, &str)]] = &[
    &[("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"), ("OTEL_TRACES_SAMPLER_ARG", "1")],
    &[("OTEL_TRACES_SAMPLER_ARG", "1")],
    &[("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"), ("OTEL_TRACES_SAMPLER_ARG", "half")],
];

/// Exercise 1 (the resource): the distance scenario, and again as an operator deploys it,
/// naming the service and its environment: what the operator sets must win over the code's
/// defaults, and what the code sets must stay where the operator sets nothing.
pub const RESOURCE: Scenario = Scenario {
    name: "resource",
    steps: DISTANCE.steps,
    env_captures: &[&[
        ("OTEL_SERVICE_NAME", "iss-distance-eu"),
        ("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=production,service.instance.id=pod-7"),
    ]],
};

/// Exercise 16 (baggage, metric views): the saturation scenario, with more places asked
/// for than the place metric keeps series for, then a request from an instrumented caller
/// with a sampled `traceparent` (so that its trace is kept by a parent-based sampler) and
/// `baggage` with two entries, only one of which the service copies onto its span.
pub const BAGGAGE: Scenario = Scenario {
    name: "baggage",
    steps: &[
        DOWN,
        UP,
        ABANDONED,
        &[Step::GetWithBaggage("/distance/nairobi", Parent::SampledRatioDrops, BAGGAGE_HEADER)],
    ],
    env_captures: &[],
};

/// Exercise 17 (a queue: each distance computed sends a job whose processing starts a trace
/// of its own): the shipping scenario with the two successes last, so that the job traces,
/// each a new trace id for the ratio sampler, come after every other trace: a missing or
/// extra job trace changes no other request's sampling, and the checker's message is about
/// the queue alone. No second run: the sampler variables are exercise 13's lesson, and a job
/// trace (a root, kept by a ratio of 1) would make a missing job look like a sampler that
/// ignores them.
///
/// Then a job that fails: the sightings store refuses the sighting of one more success, so
/// its process span must say so (status error, `error.type`), while the request, which
/// only waits for the acknowledgement, still answers 200. That request comes with an
/// unsampled `traceparent`, so that it takes no trace id of the sequence: the failed job's
/// trace is the next one, which the ratio sampler keeps.
pub const QUEUE: Scenario = Scenario {
    name: "queue",
    steps: &[
        PIPELINE_STEPS,
        &[
            Step::Fault(Fault::SightingsStoreDown, true),
            Step::GetWithParent("/distance/tokyo", Parent::UnsampledRatioKeeps),
            Step::Fault(Fault::SightingsStoreDown, false),
        ],
    ],
    env_captures: &[],
};

/// The queue scenario's requests before its failing job: exercise 19's (see [`PIPELINE`]).
/// The shipping scenario's, with the two successes last.
const PIPELINE_STEPS: &[Step] = &[
    Step::Get("/distance/atlantis"),
    Step::PositionDown(true),
    Step::Get("/distance/tokyo"),
    Step::GetWithParent("/distance/nairobi", Parent::SampledRatioDrops),
    Step::PositionDown(false),
    Step::Get("/places"),
    Step::GetAbandoned("/distance/lima"),
    Step::Get("/distance/paris"),
    Step::GetWithParent("/distance/sydney", Parent::UnsampledRatioKeeps),
];

/// Exercise 18 (a database): the shipping scenario with its sampler variables, then one
/// more request while the database refuses every query, so that the query's span and the
/// duration histogram have a failure to record, with SQLite's own result code.
pub const DATABASE: Scenario = Scenario {
    name: "database",
    steps: &[
        DOWN,
        SAMPLED_FAILURE,
        UP,
        ABANDONED,
        UNSAMPLED,
        &[
            Step::Fault(Fault::DatabaseRefuses, true),
            Step::Get("/distance/paris"),
            Step::Fault(Fault::DatabaseRefuses, false),
        ],
    ],
    env_captures: SAMPLER_VARIABLES,
};

/// The `baggage` header of [`BAGGAGE`]'s last request: the client the caller serves, and
/// an entry the service has no use for.
pub const BAGGAGE_HEADER: &str = "iss.client=atlas-mobile,iss.campaign=spring-launch";

/// Exercise 19 (the real pipeline: the service builds its own OTLP exporters): the queue
/// scenario's requests without its failing job (that lesson is exercise 17's), captured over
/// the wire (see [`Scenario::over_the_wire`]) with OTLP/HTTP, then again with each of the
/// operator's [`PIPELINE_VARIABLES`].
pub const PIPELINE: Scenario =
    Scenario { name: "pipeline", steps: &[PIPELINE_STEPS], env_captures: PIPELINE_VARIABLES };

/// Exercise 19's runs under the operator's variables, each over the wire to a collector of
/// its own: OTLP/gRPC, which the variable alone must choose (the collector expects it and
/// refuses OTLP/HTTP there); and a traces endpoint that is no URL, on which the span
/// exporters fail to build (an operator's typo: one of the few values that is an error in
/// 0.33, not warned about and ignored): the service must start and serve without them, and
/// still send its metrics and logs.
const PIPELINE_VARIABLES: &[&[(&str, &str)]] =
    &[&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")], &[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "not a url")]];

pub const ALL: &[Scenario] =
    &[DISTANCE, RESOURCE, SATURATION, PROPAGATION, MIDDLEWARE, SHIPPING, BAGGAGE, QUEUE, DATABASE, PIPELINE];

pub fn named(name: &str) -> Option<&'static Scenario> {
    ALL.iter().find(|s| s.name == name)
}

/// One request the scenario made, with when it ran (to tell which trace it started).
#[derive(Debug, Clone)]
pub struct Made {
    /// `GET /distance/paris`, `GET /distance/lima (abandoned by the caller)`, ...
    pub label: String,
    /// The status code, or `None` when the caller gave up.
    pub status: Option<u16>,
    pub start: SystemTime,
    pub end: SystemTime,
}

impl Made {
    /// The line the document keeps: `GET /distance/paris -> 200`.
    pub fn line(&self) -> String {
        match self.status {
            Some(status) => format!("{} -> {status}", self.label),
            None => format!("{} -> no response", self.label),
        }
    }

    pub fn contains(&self, t: SystemTime) -> bool {
        self.start <= t && t <= self.end
    }
}

/// What running a scenario observed beside the telemetry: the requests and the calls to
/// the position service, timed by the harness.
#[derive(Debug, Clone, Default)]
pub struct Run {
    pub requests: Vec<Made>,
    /// Calls to the position service that returned, as (sent, returned).
    pub calls: Vec<(SystemTime, SystemTime)>,
    /// Database queries that returned (`service::query::timed`), as (started, returned).
    pub queries: Vec<(SystemTime, SystemTime)>,
    /// Every moment the lab's code saw (lookups, calls, queries), with the span current then.
    pub marks: Vec<Mark>,
}

impl Scenario {
    /// Every step, in order.
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().flat_map(|group| group.iter())
    }

    /// Whether the service's telemetry is captured over the wire: its own OTLP exporters,
    /// pointed through the standard variables at a receiver inside the capture
    /// (`capture::receiver`), rather than the in-memory exporters of the edge.
    pub fn over_the_wire(&self) -> bool {
        self.name == PIPELINE.name
    }

    /// Builds the services the way a real run does (only the transport between them is
    /// in-process), runs every step, and returns what it made.
    ///
    /// `held`, when given, is called while a request the caller abandons is held in flight
    /// (the handler waits on the hanging position service): the harness looks at the
    /// in-flight instruments then.
    pub async fn run<S: Service>(&self, telemetry: &Telemetry, held: Option<&dyn Fn()>) -> Run {
        marks::record();
        let position_router = S::position(telemetry, Orbit::checker());
        let (position, switch) = PositionClient::in_process(position_router.clone());
        let distance: Router = S::distance(telemetry, position);
        let mut requests = Vec::new();
        let mut failing: Vec<Fault> = Vec::new();
        for step in self.steps() {
            let (path, mut label, parent) = match *step {
                Step::PositionDown(down) => {
                    switch.set_down(down);
                    continue;
                }
                Step::Fault(fault, on) => {
                    faults::set(fault, on);
                    failing.retain(|f| *f != fault);
                    failing.extend(on.then_some(fault));
                    continue;
                }
                Step::Get(path) => (path, format!("GET {path}"), None),
                Step::GetWithParent(path, parent) => (path, format!("GET {path} ({})", parent.label()), Some(parent)),
                Step::GetWithBaggage(path, parent, _) => {
                    (path, format!("GET {path} ({} and baggage)", parent.label()), Some(parent))
                }
                Step::GetAbandoned(path) => (path, format!("GET {path} (abandoned by the caller)"), None),
                Step::GetOnPosition(path) => (path, format!("GET {path} (on the position service)"), None),
                Step::GetOnPositionInsideSpan(path) => {
                    (path, format!("GET {path} (on the position service, without traceparent, inside a span)"), None)
                }
            };
            for fault in &failing {
                label.push_str(match fault {
                    Fault::DatabaseRefuses => " (while the database refuses queries)",
                    Fault::SightingsStoreDown => " (while the sightings store is down)",
                });
            }
            let mut request = Request::get(path);
            if let Some(parent) = parent {
                request = request.header("traceparent", parent.traceparent());
            }
            if let Step::GetWithBaggage(_, _, baggage) = *step {
                request = request.header("baggage", baggage);
            }
            let request = request.body(Body::empty()).expect("scenario paths are valid URIs");
            let start = SystemTime::now();
            let status = if matches!(step, Step::GetAbandoned(_)) {
                switch.set_hang(true);
                let status = abandon(distance.clone().oneshot(request), &switch, held).await;
                switch.set_hang(false);
                status
            } else if matches!(step, Step::GetOnPositionInsideSpan(_)) {
                let response = position_router
                    .clone()
                    .oneshot(request)
                    .with_context(callers_span())
                    .await
                    .unwrap_or_else(|never| match never {});
                Some(response.status().as_u16())
            } else {
                let service = if matches!(step, Step::GetOnPosition(_)) { &position_router } else { &distance };
                let response = service.clone().oneshot(request).await.unwrap_or_else(|never| match never {});
                Some(response.status().as_u16())
            };
            requests.push(Made { label, status, start, end: SystemTime::now() });
        }
        let marks = marks::recorded();
        // Calls and queries that returned, as (started, returned): what `covers_*` judge.
        let returned =
            |moment| marks.iter().filter(move |m| m.moment == moment).filter_map(|m| Some((m.started, m.returned?)));
        let (calls, queries) = (returned(Moment::Call).collect(), returned(Moment::Query).collect());
        Run { requests, calls, queries, marks }
    }
}

/// A context whose current span is one of the caller's (sampled, never exported): what is
/// current where [`Step::GetOnPositionInsideSpan`] is handled.
fn callers_span() -> Context {
    let span = SpanContext::new(
        TraceId::from(0x00c0_ffee_u128 << 64 | 1),
        SpanId::from(0x00c0_ffee_u64),
        TraceFlags::SAMPLED,
        false,
        TraceState::default(),
    );
    Context::new().with_remote_span_context(span)
}

/// Drives `request` until the handler waits on the (hanging) position service, calls
/// `held` while it is still in flight, then drops it, as a caller that gives up does. A
/// handler that answers first is let through.
async fn abandon<F, E>(
    request: F,
    switch: &crate::service::position::PositionSwitch,
    held: Option<&dyn Fn()>,
) -> Option<u16>
where
    F: Future<Output = Result<http::Response<axum::body::Body>, E>>,
{
    let waiting = async {
        // The service says when the call reached it; no clock decides.
        while !switch.caller_waiting() {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        // The request's future is not dropped yet: it is in flight, waiting.
        if let Some(held) = held {
            held();
        }
    };
    tokio::select! {
        biased;
        response = request => response.ok().map(|r| r.status().as_u16()),
        () = waiting => None,
    }
}
