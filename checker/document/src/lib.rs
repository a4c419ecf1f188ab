//! The telemetry document: what an exercise emitted, normalised so that the same code
//! gives the same document on every run.
//!
//! The capture harness (`lab`) produces a [`Document`] inside the exercise's process and
//! hands it to the checker as JSON; snapshots store the same document as YAML, which is
//! what an instructor reviews with `cargo insta review`. Nothing here depends on
//! OpenTelemetry: the checker reads documents without linking the SDK.
//!
//! Normalised means: no ids, no timestamps, no measured durations. Spans are identified by
//! their name and position in the tree, traces by the order in which they started, metric
//! data points are sorted by their attributes, and attribute maps are sorted by key.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Everything one exercise emitted while the checker drove its scenario.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// The scenario's requests with the status each got, e.g. `GET /distance/paris -> 200`
    /// (instrumentation must never change what the caller receives).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<String>,
    /// The resource every signal was exported with (`telemetry.sdk.*` left out: it
    /// changes with the SDK version, not with the learner's code).
    #[serde(default)]
    pub resource: Attributes,
    /// Traces in the order their first span started.
    #[serde(default)]
    pub traces: Vec<Trace>,
    /// Metrics sorted by scope name, then metric name.
    #[serde(default)]
    pub metrics: Vec<Metric>,
    /// Log records in the order they were emitted.
    #[serde(default)]
    pub logs: Vec<LogRecord>,
    /// The up-down counters as they stood while a request the caller then abandoned was
    /// held in flight (its handler waiting on the position service): what a dashboard of
    /// in-flight requests shows at that moment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub while_held: Vec<Metric>,
    /// The resource of each signal whose resource is not [`Document::resource`], by
    /// signal (`metrics`, `logs`, `position traces`): a provider built without the
    /// resource shows here (`service.name` `unknown_service:...`). Every signal of every
    /// service is compared, not only the one the main resource came from.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resources: BTreeMap<String, Attributes>,
    /// When each signal left the service, by signal (`traces`, `position traces`,
    /// `metrics`, `logs`): as it was produced, or only when the service shut down (batch
    /// processors, periodic readers). Schedules are set longer than any capture, so this
    /// depends on the processors only.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub delivery: BTreeMap<String, Delivery>,
    /// The scenario run again, once per environment the scenario names (the operator's
    /// standard variables: the sampler's, the resource's), each in a process of its own:
    /// which requests left a trace there, and the resource when it differs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env_captures: Vec<EnvCapture>,
    /// Exercise 19 on (captures over the wire): what the capture's OTLP receiver refused,
    /// by signal (or by the path asked for), with why (a missing header, a wrong path, a
    /// body that is not protobuf), and each signal it received nothing of. A sentence
    /// whose subject is the collector. Telemetry refused never reaches the document.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub refused: BTreeMap<String, String>,
    /// The last lines the exercise's process printed on stderr (a bridge that could not be
    /// installed says so there), kept in captures for diagnosis, never in snapshots.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stderr: Vec<String>,
    /// What the harness saw of the service's pipeline beside its telemetry, kept in
    /// captures for diagnosis, never in snapshots (like [`Document::stderr`]). Boxed: most
    /// documents (every snapshot) have none, and a document travels inside small enums.
    #[serde(default, skip_serializing_if = "CaptureFacts::is_empty")]
    pub capture_facts: Box<CaptureFacts>,
}

/// Facts about how a capture's pipeline behaved, which rule likely causes in or out: never
/// graded, never in snapshots.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureFacts {
    /// By signal (`traces`, `position traces`, `metrics`, `logs`): whether the service's
    /// way out shut that signal's pipeline down (in memory: the edge's exporter was shut
    /// down, which a provider's shutdown does; over the wire: the provider in `Telemetry`
    /// answers that it is already shut down). `None`: the capture does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shut_down: Option<BTreeMap<String, bool>>,
    /// Over the wire: the signals the lab's in-memory exporters (the `Edge`'s) received,
    /// which the service should have sent over OTLP instead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub in_memory: Vec<String>,
    /// The service's spans were exported, but the edge's `starts` processor saw none of
    /// them start: its provider was built without `with_span_processor(edge.starts)`, so
    /// no span's `at_creation` could be known.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub starts_unseen: bool,
    /// The fields of the global text map propagator once the service's setup ran (`[]`:
    /// none registered, the default one, which injects and extracts nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propagator_fields: Option<Vec<String>>,
    /// Whether a global `tracing` subscriber was installed once the setup ran (`false`
    /// with `set_default`, which installs one for the calling thread only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global_subscriber: Option<bool>,
}

impl CaptureFacts {
    pub fn is_empty(&self) -> bool {
        self == &CaptureFacts::default()
    }

    /// Whether the capture shows `signal`'s pipeline shut down (`Some(false)`: it shows it
    /// was not); `None` when it does not say.
    pub fn shut_down(&self, signal: &str) -> Option<bool> {
        self.shut_down.as_ref()?.get(signal).copied()
    }
}

/// When a signal's data reached the exporter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// All of it before the service shut down: exported as produced (simple processors).
    BeforeShutdown,
    /// None of it before: held, then exported when the service shut down (batching).
    AtShutdown,
    /// Some before, the rest at shutdown.
    Partly,
}

/// Another capture of the scenario, with environment variables set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EnvCapture {
    /// `KEY=value`, as set.
    pub env: Vec<String>,
    /// The requests whose trace was exported (see [`Trace::request`]), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub traced: Vec<String>,
    /// The resource there, when it is not the one of the capture without these variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Attributes>,
    /// Why the second capture gave nothing, when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
    /// A capture over the wire: what its collector refused or never received there (see
    /// [`Document::refused`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub refused: BTreeMap<String, String>,
    /// Whether the service's stderr there carried a warning of the OpenTelemetry SDK itself
    /// (see [`SDK_WARNINGS`]): a service that keeps the SDK's diagnostics visible shows the
    /// SDK's complaint about a bad `OTEL_*` value, which the SDK otherwise swallows.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sdk_warned: bool,
}

/// What marks a warning of the OpenTelemetry SDK 0.33 on stderr, whatever the format of the
/// layer that printed it: the event name the SDK gives its complaint about an invalid
/// `OTEL_TRACES_SAMPLER_ARG`, and the words of its message
/// (`opentelemetry_sdk-0.33.1/src/trace/config.rs`).
pub const SDK_WARNINGS: &[&str] = &[
    "TracerProvider.Config.InvalidSamplerArgument",
    "OTEL_TRACES_SAMPLER_ARG environment variable is missing or invalid",
];

/// Whether one of `lines` (a service's stderr) carries a warning of the SDK.
pub fn sdk_warned<'a>(mut lines: impl Iterator<Item = &'a str>) -> bool {
    lines.any(|line| SDK_WARNINGS.iter().any(|mark| line.contains(mark)))
}

/// Attributes sorted by key.
pub type Attributes = BTreeMap<String, Value>;

/// An attribute value; the variant is the attribute's type, which the checker grades too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Array(Vec<Value>),
}

impl Value {
    /// The type's name as a learner knows it from the OpenTelemetry API.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Bool(_) => "bool",
            Value::Int(_) => "i64",
            Value::Float(_) => "f64",
            Value::String(_) => "string",
            Value::Array(_) => "array",
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(v) => write!(f, "{v}"),
            Value::Int(v) => write!(f, "{v}"),
            Value::Float(v) => write!(f, "{v:?}"),
            Value::String(v) => write!(f, "{v:?}"),
            Value::Array(vs) => {
                f.write_str("[")?;
                for (i, v) in vs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// The instrumentation scope a tracer, meter or logger was created with.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Scope {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // An empty name must show as something.
        let name = if self.name.is_empty() { "\"\"" } else { self.name.as_str() };
        match &self.version {
            Some(v) => write!(f, "{name} {v}"),
            None => write!(f, "{name} (no version)"),
        }
    }
}

/// One trace: its root spans (normally one) with their children nested below.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// The scenario's request during which the trace started, as in [`Document::requests`]
    /// (`GET /distance/atlantis -> 404`): the harness drives every request, so a trace is
    /// named by the request that made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    pub spans: Vec<Span>,
}

/// A structural fact about a span's time, never a duration: the same on every run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeFact {
    /// Starts after its parent started and ends before its parent ended (spans whose
    /// parent is in the same trace).
    WithinParent,
    /// Starts before the call to the position service made during its request and ends
    /// after that call returned (client spans, and the local root server span), timed by
    /// the harness, which makes the call.
    CoversCall,
    /// Starts before a database query made during its request ran and ends after it
    /// returned (client and internal spans), timed by the lab's query plumbing
    /// (`lab::service::query`).
    CoversQuery,
    /// Was the current span, or an ancestor of the current span, when the place was looked
    /// up (`Places::find`): code that runs while a span is current sees it as its context
    /// (children, logs, propagation); a child made current in turn keeps it in that context.
    CurrentAtLookup,
    /// The same when the call to the position service went out.
    CurrentAtCall,
    /// The same when a database query ran (`lab::service::query::timed`).
    CurrentAtQuery,
    /// A producer span still open when its message was handed to the queue (the queue's
    /// `send`): the sending is what it describes.
    CoversSend,
    /// A producer span that ended before the queue's acknowledgement of its message
    /// reached the sender: it covers the sending, not the processing.
    EndsBeforeAck,
}

impl fmt::Display for TimeFact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeFact::WithinParent => "within_parent",
            TimeFact::CoversCall => "covers_call",
            TimeFact::CoversQuery => "covers_query",
            TimeFact::CurrentAtLookup => "current_at_lookup",
            TimeFact::CurrentAtCall => "current_at_call",
            TimeFact::CurrentAtQuery => "current_at_query",
            TimeFact::CoversSend => "covers_send",
            TimeFact::EndsBeforeAck => "ends_before_ack",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpanKind {
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

impl fmt::Display for SpanKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SpanKind::Internal => "internal",
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        })
    }
}

/// Where a root span's parent is, when it has one the capture did not contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParentLink {
    /// The parent came from another process (propagated context): `parent_span_is_remote`.
    Remote,
    /// The span names a local parent that was never exported (not ended, or dropped).
    Missing,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Span {
    pub name: String,
    pub kind: SpanKind,
    pub scope: Scope,
    /// The service that emitted the span, when it is not the document's main one (the
    /// resource's `service.name`): spans of a second, downstream service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Only on roots whose parent is elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentLink>,
    pub status: Status,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: Attributes,
    /// Of its attributes that the semantic conventions mark sampling-relevant for a span of
    /// its kind (the lab's `normalise::sampling_relevant`), those it already had when it started: what a
    /// sampler saw. Sorted. Empty when none, or when its start was not seen (a provider
    /// without the edge's `starts` processor).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub at_creation: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
    /// It has links, and had every one of them when it started (`with_links` on the
    /// builder), where a sampler sees them; false too when its start was not seen.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub links_at_creation: bool,
    /// Links, as paths of the spans they point at (see [`SpanPath`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Span>,
    /// Structural facts about its time that hold (see [`TimeFact`]); only for requests
    /// that completed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub time: Vec<TimeFact>,
    /// Relative timing, kept in captures for drawing waterfalls; never in snapshots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing: Option<Timing>,
}

impl Span {
    /// A span with nothing but a name and a kind: unset status, no attributes, no children.
    pub fn new(name: impl Into<String>, kind: SpanKind) -> Span {
        Span {
            name: name.into(),
            kind,
            scope: Scope::default(),
            service: None,
            parent: None,
            status: Status::Unset,
            attributes: Attributes::new(),
            at_creation: vec![],
            events: vec![],
            links_at_creation: false,
            links: vec![],
            children: vec![],
            time: vec![],
            timing: None,
        }
    }
}

/// A span's status, written `unset`, `ok` or `error: <description>` in documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Unset,
    Ok,
    Error { description: String },
}

impl Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Status::Unset => serializer.serialize_str("unset"),
            Status::Ok => serializer.serialize_str("ok"),
            Status::Error { description } if description.is_empty() => serializer.serialize_str("error"),
            Status::Error { description } => serializer.serialize_str(&format!("error: {description}")),
        }
    }
}

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match text.as_str() {
            "unset" => Ok(Status::Unset),
            "ok" => Ok(Status::Ok),
            "error" => Ok(Status::Error { description: String::new() }),
            other => match other.strip_prefix("error: ") {
                Some(description) => Ok(Status::Error { description: description.to_string() }),
                None => Err(serde::de::Error::custom(format!("`{other}` is not a status (unset, ok, error: ...)"))),
            },
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Unset => f.write_str("Unset"),
            Status::Ok => f.write_str("Ok"),
            Status::Error { description } if description.is_empty() => f.write_str("Error"),
            Status::Error { description } => write!(f, "Error ({description:?})"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub name: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: Attributes,
    /// Where the event falls among the moments of its request that the lab's code saw
    /// (`after the place lookup, before the position call`), for events of a request's own
    /// trace that completed: order, never a duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// Microseconds relative to the start of the span's trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timing {
    pub start_us: u64,
    pub duration_us: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    Counter,
    UpDownCounter,
    Histogram,
    Gauge,
}

impl fmt::Display for MetricKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MetricKind::Counter => "counter",
            MetricKind::UpDownCounter => "up-down counter",
            MetricKind::Histogram => "histogram",
            MetricKind::Gauge => "gauge",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub name: String,
    pub kind: MetricKind,
    pub scope: Scope,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Data points sorted by their attributes.
    pub points: Vec<DataPoint>,
    /// Histograms: the order of magnitude of the largest value recorded, against the
    /// harness's own timing of the scenario's requests (see [`Magnitude`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub magnitude: Option<Magnitude>,
    /// Histograms: `false` when their points carry no min and max (a view or aggregation
    /// with `record_min_max: false`); absent when they do, as the SDK's default does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_max: Option<bool>,
}

/// Whether a histogram's values could be durations in seconds of the scenario's work,
/// judged from above and from below with what the harness controls:
/// - above: the largest is at most ten times the longest request, in seconds. Recorded in
///   milliseconds, the request that waits for the position service (a fixed 20 ms under
///   the checker) alone records 20 or more: far beyond, on any machine;
/// - below: the largest is at least a millisecond ([`Magnitude::FLOOR_SECONDS`]). Under the
///   checker a request that calls the position service lasts at least 20 ms and a database
///   query at least 2 ms, so a duration of any of them, in seconds, is at least that; whole
///   seconds (`as_secs()`: 0), a truncated `as_millis()` of sub-millisecond work, or a timer
///   started after the work fall below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Magnitude {
    Seconds,
    /// Far larger than the requests lasted in seconds: milliseconds, or a smaller unit.
    LargerThanSeconds,
    /// Smaller than any timed work of the scenario lasted, in seconds: nothing measured.
    SmallerThanSeconds,
}

impl Magnitude {
    /// The least a histogram's largest value is, in seconds, when it measures the
    /// scenario's requests or queries (see [`Magnitude`]).
    pub const FLOOR_SECONDS: f64 = 0.001;
}

/// One data point. Sums and gauges carry `value`; histograms carry `count` and their
/// bucket `bounds` (the measured sum, min, max and bucket counts depend on timing and
/// are left out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataPoint {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: Attributes,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounds: Option<Vec<f64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogRecord {
    /// The record's `EventName`, as it goes on the wire. The `tracing` bridge sets
    /// `event <file>:<line>` when the event has no `name:`; that form is kept as
    /// [`LogRecord::SOURCE_LOCATION`] (the file and line differ from code to code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_name: Option<String>,
    /// Severity text as exported (`INFO`, `WARN`, ...), or the severity number's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    pub scope: Scope,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: Attributes,
    /// The span whose trace and span ids the record carries, as a [`SpanPath`];
    /// `None` when the record is not correlated with any span.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<String>,
    /// The record was written before that span started or after it ended: it carries the
    /// ids of a span it is not part of. Judged only in traces of requests that completed,
    /// in program order (the clock read by the SDK as each was written), never durations.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub outside_span: bool,
    /// Where the record was written (the `tracing` target or `log` module path), kept in
    /// captures for diagnosis (the SDK's own records come from `opentelemetry*`), never in
    /// snapshots: it names the learner's crate, which differs from the solution's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

impl LogRecord {
    /// The event name the `tracing` bridge gives an event without `name:`, normalised.
    pub const SOURCE_LOCATION: &'static str = "event <file>:<line>";
}

/// Names a span by position: `trace 2 > GET /distance/{place} > fetch-iss-position`.
/// A name repeated among siblings gets its position: `compute-distance[2]`.
pub struct SpanPath;

impl SpanPath {
    pub fn root(trace_number: usize) -> String {
        format!("trace {trace_number}")
    }

    pub fn child(parent: &str, name: &str, nth_of_name: usize) -> String {
        if nth_of_name <= 1 { format!("{parent} > {name}") } else { format!("{parent} > {name}[{nth_of_name}]") }
    }
}

impl Document {
    /// The YAML form stored in snapshots.
    pub fn to_yaml(&self) -> String {
        serde_norway::to_string(self).expect("a document always serialises")
    }

    pub fn from_yaml(text: &str) -> Result<Self, String> {
        serde_norway::from_str(text).map_err(|e| e.to_string())
    }

    /// The JSON form a capture hands to the checker.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a document always serialises")
    }

    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// The same document without what snapshots never hold: timings, log targets, stderr.
    pub fn for_snapshot(mut self) -> Self {
        self.stderr.clear();
        self.capture_facts = Box::default();
        for log in &mut self.logs {
            log.target = None;
        }
        fn strip(spans: &mut [Span]) {
            for span in spans {
                span.timing = None;
                strip(&mut span.children);
            }
        }
        for trace in &mut self.traces {
            strip(&mut trace.spans);
        }
        self
    }

    /// Every span with its path, depth-first in document order.
    pub fn spans(&self) -> Vec<(String, &Span)> {
        fn walk<'a>(parent: &str, spans: &'a [Span], out: &mut Vec<(String, &'a Span)>) {
            let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
            for span in spans {
                let nth = seen.entry(span.name.as_str()).or_default();
                *nth += 1;
                let path = SpanPath::child(parent, &span.name, *nth);
                out.push((path.clone(), span));
                walk(&path, &span.children, out);
            }
        }
        let mut out = Vec::new();
        for (i, trace) in self.traces.iter().enumerate() {
            walk(&SpanPath::root(i + 1), &trace.spans, &mut out);
        }
        out
    }

    pub fn span_count(&self) -> usize {
        self.spans().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Document {
        let mut attributes = Attributes::new();
        attributes.insert("app.place".into(), Value::String("paris".into()));
        attributes.insert("app.count".into(), Value::Int(3));
        attributes.insert("app.km".into(), Value::Float(4321.0));
        attributes.insert("app.cached".into(), Value::Bool(false));
        attributes.insert("app.looks_numeric".into(), Value::String("42".into()));
        let leaf = Span {
            name: "fetch".into(),
            kind: SpanKind::Client,
            scope: Scope { name: "svc".into(), version: Some("0.1.0".into()) },
            service: None,
            parent: None,
            status: Status::Error { description: "down".into() },
            attributes: attributes.clone(),
            at_creation: vec!["app.place".into()],
            events: vec![Event { name: "exception".into(), attributes: attributes.clone(), at: None }],
            links_at_creation: false,
            links: vec![],
            children: vec![],
            time: vec![TimeFact::WithinParent],
            timing: Some(Timing { start_us: 5, duration_us: 7 }),
        };
        let root = Span {
            name: "GET /x".into(),
            kind: SpanKind::Server,
            parent: Some(ParentLink::Remote),
            status: Status::Unset,
            children: vec![leaf.clone(), leaf],
            ..Span::clone(&Span {
                name: String::new(),
                kind: SpanKind::Internal,
                scope: Scope { name: "svc".into(), version: None },
                service: Some("downstream".into()),
                parent: None,
                status: Status::Ok,
                attributes: Attributes::new(),
                at_creation: vec![],
                events: vec![],
                links_at_creation: false,
                links: vec![],
                children: vec![],
                time: vec![],
                timing: None,
            })
        };
        Document {
            requests: vec!["GET /x -> 200".into()],
            resource: attributes,
            traces: vec![Trace { request: Some("GET /x -> 200".into()), spans: vec![root] }],
            metrics: vec![Metric {
                name: "http.server.request.duration".into(),
                kind: MetricKind::Histogram,
                scope: Scope { name: "svc".into(), version: None },
                unit: "s".into(),
                description: String::new(),
                points: vec![DataPoint {
                    attributes: Attributes::new(),
                    value: None,
                    count: Some(3),
                    bounds: Some(vec![0.005, 0.01, 1.0]),
                }],
                magnitude: Some(Magnitude::Seconds),
                min_max: Some(false),
            }],
            logs: vec![],
            while_held: vec![],
            resources: BTreeMap::new(),
            delivery: BTreeMap::from([("traces".to_string(), Delivery::AtShutdown)]),
            env_captures: vec![EnvCapture {
                env: vec!["A=1".into()],
                traced: vec!["GET /x -> 200".into()],
                resource: Some(Attributes::new()),
                failed: None,
                refused: BTreeMap::from([("logs".to_string(), "received no export of logs".to_string())]),
                sdk_warned: true,
            }],
            refused: BTreeMap::from([("/".to_string(), "refused an export to `/` with 404".to_string())]),
            stderr: vec![],
            capture_facts: Box::new(CaptureFacts {
                shut_down: Some(BTreeMap::from([("traces".to_string(), true)])),
                in_memory: vec!["logs".into()],
                starts_unseen: true,
                propagator_fields: Some(vec!["traceparent".into()]),
                global_subscriber: Some(false),
            }),
        }
    }

    #[test]
    fn yaml_round_trip_keeps_types() {
        let doc = sample().for_snapshot();
        assert!(!doc.to_yaml().contains("capture_facts"), "what the harness saw of the pipeline is never in snapshots");
        let back = Document::from_yaml(&doc.to_yaml()).unwrap();
        assert_eq!(doc, back);
        let km = &back.resource["app.km"];
        assert_eq!(km.type_name(), "f64", "a whole float must stay a float");
        assert_eq!(back.resource["app.looks_numeric"].type_name(), "string");
    }

    #[test]
    fn json_round_trip_keeps_timing() {
        let doc = sample();
        assert_eq!(Document::from_json(&doc.to_json()).unwrap(), doc);
    }

    #[test]
    fn repeated_sibling_names_get_positions() {
        let paths: Vec<String> = sample().spans().into_iter().map(|(p, _)| p).collect();
        assert_eq!(paths, ["trace 1 > GET /x", "trace 1 > GET /x > fetch", "trace 1 > GET /x > fetch[2]"]);
    }
}
