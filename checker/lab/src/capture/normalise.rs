//! Normalisation: from what the SDK exported to a [`Document`] that is identical on every
//! run. Ids become positions in the tree, timestamps become order (and relative timings
//! that snapshots leave out), metric points are sorted, `telemetry.sdk.*` is dropped.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use opentelemetry::logs::AnyValue;
use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::trace::SpanData;
use telemetry_document::{
    Attributes, DataPoint, Delivery, Document, Event, LogRecord, Magnitude, Metric, MetricKind, ParentLink, Scope,
    Span, SpanKind, SpanPath, Status, TimeFact, Timing, Trace, Value,
};

use super::scenario::{Made, Run};
use crate::edge::{Captured, Exported, SpanStarts};
use crate::service::marks::{Mark, Moment};

pub(super) type SpanKey = (TraceId, SpanId);

/// `run` is what the harness observed (requests and calls, timed); `before` what had been
/// exported when the service began to shut down; `held` the metrics export the harness
/// made while a request was held in flight, if any (not the service's: it counts for no
/// delivery).
pub fn document(captured: &Captured, run: &Run, before: &Exported, held: Option<usize>) -> Document {
    let metrics_exports = captured.metrics.get_finished_metrics().unwrap_or_default();
    let longest = longest_request(run);
    let while_held = held
        .and_then(|i| metrics_exports.get(i))
        .map(|export| {
            let mut counters = metrics(export, longest);
            counters.retain(|m| m.kind == MetricKind::UpDownCounter);
            counters
        })
        .unwrap_or_default();
    let forced = usize::from(held.is_some());
    let logs = captured.logs.emitted();
    // The main resource: the traces', else the first signal that has one. Every other
    // signal's resource is compared with it (`resources`).
    let spans_resource = captured.spans.resource();
    let logs_resource = logs.first().map(|l| l.resource.clone().into_owned());
    let metrics_resource = metrics_exports.last().map(|m| m.resource().clone());
    let resource = spans_resource.clone().or_else(|| logs_resource.clone()).or_else(|| metrics_resource.clone());
    let main_attributes = resource.as_ref().map(resource_attributes).unwrap_or_default();
    let mut resources = BTreeMap::new();
    for (signal, other) in [("logs", &logs_resource), ("metrics", &metrics_resource)] {
        if let Some(other) = other.as_ref().map(resource_attributes)
            && other != main_attributes
        {
            resources.insert(signal.to_string(), other);
        }
    }
    if !captured.position_spans.finished_spans().is_empty()
        && let Some(other) = captured.position_spans.resource().as_ref().map(resource_attributes)
        && other != main_attributes
    {
        resources.insert("position traces".to_string(), other);
    }
    let after = captured.exported();
    let mut delivery = BTreeMap::new();
    for (signal, before, after) in [
        ("traces", before.spans, after.spans),
        ("position traces", before.position_spans, after.position_spans),
        ("metrics", before.metric_exports.saturating_sub(forced), after.metric_exports.saturating_sub(forced)),
        ("logs", before.logs, after.logs),
    ] {
        if let Some(when) = delivered(before, after) {
            delivery.insert(signal.to_string(), when);
        }
    }
    // Spans of the second service come through their own exporter, with their own resource:
    // they join the same traces, tagged with their service's name when it is another one.
    let mut spans = captured.spans.finished_spans();
    let position_spans = captured.position_spans.finished_spans();
    let main_name = resource.as_ref().and_then(service_name);
    let position_name = captured.position_spans.resource().as_ref().and_then(service_name);
    let mut services = HashMap::new();
    if let Some(name) = position_name.filter(|n| Some(n) != main_name.as_ref()) {
        for span in &position_spans {
            services.insert((span.span_context.trace_id(), span.span_context.span_id()), name.clone());
        }
    }
    spans.extend(position_spans);
    let (traces, paths) = traces(&spans, &services, run, &captured.starts);
    Document {
        requests: run.requests.iter().map(Made::line).collect(),
        resource: main_attributes,
        traces,
        // Each flush exports a full cumulative snapshot: the last one has everything. The
        // harness's own look while a request was held is not the service's export: a service
        // that never flushes its metrics exports none.
        metrics: metrics_exports
            .iter()
            .enumerate()
            .rfind(|(i, _)| Some(*i) != held)
            .map(|(_, m)| metrics(m, longest))
            .unwrap_or_default(),
        logs: {
            let times = span_times(&spans, run);
            logs.iter().map(|l| log_record(&l.record, &l.instrumentation, &paths, &times)).collect()
        },
        while_held,
        resources,
        delivery,
        env_captures: vec![],
        refused: BTreeMap::new(),
        stderr: vec![],
        capture_facts: Default::default(),
    }
}

/// When a signal left, from how many of its items had been exported before the service
/// began to shut down and how many after: nothing when none ever was.
pub(super) fn delivered(before: usize, after: usize) -> Option<Delivery> {
    match (before, after) {
        (_, 0) => None,
        (0, _) => Some(Delivery::AtShutdown),
        (b, a) if b == a => Some(Delivery::BeforeShutdown),
        _ => Some(Delivery::Partly),
    }
}

/// The longest request of the scenario, in seconds (what [`Magnitude`] is judged against).
pub(super) fn longest_request(run: &Run) -> f64 {
    run.requests.iter().map(|r| r.end.duration_since(r.start).unwrap_or_default().as_secs_f64()).fold(0.0, f64::max)
}

/// A histogram's coarse unit fact (see [`Magnitude`]).
pub(super) fn magnitude(largest: f64, longest: f64) -> Magnitude {
    if largest > 10.0 * longest {
        Magnitude::LargerThanSeconds
    } else if largest < Magnitude::FLOOR_SECONDS {
        Magnitude::SmallerThanSeconds
    } else {
        Magnitude::Seconds
    }
}

pub(super) fn service_name(resource: &Resource) -> Option<String> {
    resource.get(&opentelemetry::Key::from_static_str("service.name")).map(|v| v.to_string())
}

pub(super) fn resource_attributes(resource: &Resource) -> Attributes {
    resource
        .iter()
        .filter(|(k, _)| !k.as_str().starts_with("telemetry.sdk."))
        .map(|(k, v)| (k.to_string(), value(v)))
        .collect()
}

fn attributes(kvs: &[KeyValue]) -> Attributes {
    kvs.iter().map(|kv| (kv.key.to_string(), value(&kv.value))).collect()
}

pub(super) fn value(v: &opentelemetry::Value) -> Value {
    use opentelemetry::{Array, Value as V};
    match v {
        V::Bool(b) => Value::Bool(*b),
        V::I64(i) => Value::Int(*i),
        V::F64(f) => Value::Float(*f),
        V::String(s) => Value::String(s.to_string()),
        V::Array(Array::Bool(a)) => Value::Array(a.iter().map(|b| Value::Bool(*b)).collect()),
        V::Array(Array::I64(a)) => Value::Array(a.iter().map(|i| Value::Int(*i)).collect()),
        V::Array(Array::F64(a)) => Value::Array(a.iter().map(|f| Value::Float(*f)).collect()),
        V::Array(Array::String(a)) => Value::Array(a.iter().map(|s| Value::String(s.to_string())).collect()),
        other => Value::String(other.to_string()),
    }
}

fn any_value(v: &AnyValue) -> Value {
    match v {
        AnyValue::Int(i) => Value::Int(*i),
        AnyValue::Double(f) => Value::Float(*f),
        AnyValue::String(s) => Value::String(s.to_string()),
        AnyValue::Boolean(b) => Value::Bool(*b),
        AnyValue::ListAny(list) => Value::Array(list.iter().map(any_value).collect()),
        other => Value::String(format!("{other:?}")),
    }
}

pub(super) fn scope(s: &InstrumentationScope) -> Scope {
    Scope { name: s.name().to_string(), version: s.version().map(str::to_string) }
}

/// A span with its children, ordered, and its path.
struct Node<'a> {
    data: &'a SpanData,
    children: Vec<Node<'a>>,
}

pub(super) fn traces(
    spans: &[SpanData],
    services: &HashMap<SpanKey, String>,
    run: &Run,
    starts: &SpanStarts,
) -> (Vec<Trace>, HashMap<SpanKey, String>) {
    // Group by trace; traces in the order their first span started.
    let mut groups: HashMap<TraceId, Vec<&SpanData>> = HashMap::new();
    for span in spans {
        groups.entry(span.span_context.trace_id()).or_default().push(span);
    }
    let mut groups: Vec<Vec<&SpanData>> = groups.into_values().collect();
    for group in &mut groups {
        group.sort_by_key(|s| order_key(s));
    }
    groups.sort_by_key(|g| order_key(g[0]));

    let parents: HashMap<SpanKey, SpanKey> = spans
        .iter()
        .filter(|s| s.parent_span_id != SpanId::INVALID)
        .map(|s| {
            let trace = s.span_context.trace_id();
            ((trace, s.span_context.span_id()), (trace, s.parent_span_id))
        })
        .collect();
    let mut paths = HashMap::new();
    let trees: Vec<(SystemTime, Vec<Node>)> = groups
        .iter()
        .enumerate()
        .map(|(i, group)| {
            let present: HashMap<SpanId, &SpanData> = group.iter().map(|s| (s.span_context.span_id(), *s)).collect();
            let mut children: HashMap<SpanId, Vec<&SpanData>> = HashMap::new();
            let mut roots = Vec::new();
            for span in group {
                if present.contains_key(&span.parent_span_id) {
                    children.entry(span.parent_span_id).or_default().push(span);
                } else {
                    roots.push(*span);
                }
            }
            let nodes = nodes(&roots, &SpanPath::root(i + 1), &children, &mut paths);
            (group[0].start_time, nodes)
        })
        .collect();

    let traces = trees
        .iter()
        .map(|(start, roots)| {
            let made = run.requests.iter().find(|r| r.contains(*start));
            let time = TimeContext { run, made, services, starts, parents: &parents };
            Trace {
                request: made.map(Made::line),
                spans: roots
                    .iter()
                    .map(|n| {
                        span(n, None, *start, &paths, &time, n.data.span_kind == opentelemetry::trace::SpanKind::Server)
                    })
                    .collect(),
            }
        })
        .collect();
    (traces, paths)
}

/// What the structural time facts of a trace's spans are judged against.
struct TimeContext<'a> {
    run: &'a Run,
    /// The request during which the trace started.
    made: Option<&'a Made>,
    services: &'a HashMap<SpanKey, String>,
    /// What each span carried when it started.
    starts: &'a SpanStarts,
    /// Each span's parent, where it has one.
    parents: &'a HashMap<SpanKey, SpanKey>,
}

impl<'a> TimeContext<'a> {
    fn facts(&self, d: &SpanData, parent: Option<&SpanData>) -> Vec<TimeFact> {
        // A request the caller gave up on ends its spans as they are dropped, in an order
        // the compiler chooses: nothing to judge there.
        let Some(made) = self.made.filter(|m| m.status.is_some()) else { return vec![] };
        let mut facts = Vec::new();
        if let Some(p) = parent
            && p.start_time <= d.start_time
            && d.end_time <= p.end_time
        {
            facts.push(TimeFact::WithinParent);
        }
        let key = (d.span_context.trace_id(), d.span_context.span_id());
        let local_root_server = d.span_kind == opentelemetry::trace::SpanKind::Server
            && d.parent_span_id == SpanId::INVALID
            && !self.services.contains_key(&key);
        let client = d.span_kind == opentelemetry::trace::SpanKind::Client;
        let call = self.run.calls.iter().find(|(sent, returned)| made.contains(*sent) && made.contains(*returned));
        if (client || local_root_server)
            && let Some((sent, returned)) = call
            && d.start_time <= *sent
            && *returned <= d.end_time
        {
            facts.push(TimeFact::CoversCall);
        }
        let covers_query = |(ran, returned): &(SystemTime, SystemTime)| {
            made.contains(*ran) && made.contains(*returned) && d.start_time <= *ran && *returned <= d.end_time
        };
        // Internal too: a query's span of the wrong kind is told its kind, not a wrong time.
        let internal = d.span_kind == opentelemetry::trace::SpanKind::Internal;
        if (client || internal) && self.run.queries.iter().any(covers_query) {
            facts.push(TimeFact::CoversQuery);
        }
        // A producer span and the handing over of its message: the first after its start.
        if d.span_kind == opentelemetry::trace::SpanKind::Producer
            && let Some(send) =
                self.marks(made).into_iter().find(|m| m.moment == Moment::Send && m.started >= d.start_time)
            && send.started <= d.end_time
        {
            facts.push(TimeFact::CoversSend);
        }
        // A producer span and the acknowledgement of its message, which its sender awaits. A
        // sender that never waited (fire and forget) got none: its span cannot have covered
        // the wait, and what it lost instead is said by the job's missing trace.
        let ack = self.marks(made).into_iter().find(|m| m.moment == Moment::Ack && m.started >= d.start_time);
        if d.span_kind == opentelemetry::trace::SpanKind::Producer && ack.is_none_or(|ack| d.end_time <= ack.started) {
            facts.push(TimeFact::EndsBeforeAck);
        }
        // Which of the request's moments ran while this span was the current one.
        for (moment, fact) in [
            (Moment::Lookup, TimeFact::CurrentAtLookup),
            (Moment::Call, TimeFact::CurrentAtCall),
            (Moment::Query, TimeFact::CurrentAtQuery),
        ] {
            if self.marks(made).iter().any(|m| m.moment == moment && m.current.is_some_and(|c| self.within(c, key))) {
                facts.push(fact);
            }
        }
        facts
    }

    /// Whether span `current` is `key` or one of its descendants.
    fn within(&self, current: SpanKey, key: SpanKey) -> bool {
        let mut at = Some(current);
        // Bounded: ids are unique, but a malformed export must not loop.
        for _ in 0..=self.parents.len() {
            match at {
                Some(k) if k == key => return true,
                Some(k) => at = self.parents.get(&k).copied(),
                None => return false,
            }
        }
        false
    }

    /// The moments of `made` the lab's code saw that returned within it.
    fn marks(&self, made: &Made) -> Vec<&'a Mark> {
        let run: &'a Run = self.run;
        run.marks.iter().filter(|m| made.contains(m.started) && m.returned.is_some_and(|r| made.contains(r))).collect()
    }

    /// Where an event at `t`, on a span of the request's own trace (its root a server span),
    /// falls among the request's first place lookup, database query and position call: in
    /// the order the code ran, so the same on every run.
    fn event_at(&self, root_is_server: bool, t: SystemTime) -> Option<String> {
        let made = self.made.filter(|m| m.status.is_some() && root_is_server && m.contains(t))?;
        let mut moments: Vec<(&str, SystemTime, SystemTime)> = Vec::new();
        let moment_names = [
            (Moment::Lookup, "the place lookup"),
            (Moment::Query, "the database query"),
            (Moment::Call, "the position call"),
        ];
        for (moment, what) in moment_names {
            if let Some(mark) = self.marks(made).into_iter().find(|m| m.moment == moment) {
                moments.push((what, mark.started, mark.returned.unwrap_or(mark.started)));
            }
        }
        moments.sort_by_key(|(_, started, _)| *started);
        if let Some((what, ..)) = moments.iter().find(|(_, started, returned)| *started <= t && t <= *returned) {
            return Some(format!("during {what}"));
        }
        let after =
            moments.iter().rev().find(|(_, _, returned)| *returned < t).map(|(what, ..)| format!("after {what}"));
        let before = moments.iter().find(|(_, started, _)| t < *started).map(|(what, ..)| format!("before {what}"));
        let said: Vec<String> = after.into_iter().chain(before).collect();
        (!said.is_empty()).then(|| said.join(", "))
    }
}

/// Start order; the span id breaks ties (under the checker ids count up in creation order).
fn order_key(s: &SpanData) -> (SystemTime, u64) {
    (s.start_time, u64::from_be_bytes(s.span_context.span_id().to_bytes()))
}

fn nodes<'a>(
    spans: &[&'a SpanData],
    parent_path: &str,
    children: &HashMap<SpanId, Vec<&'a SpanData>>,
    paths: &mut HashMap<SpanKey, String>,
) -> Vec<Node<'a>> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    spans
        .iter()
        .map(|data| {
            let nth = seen.entry(data.name.as_ref()).or_default();
            *nth += 1;
            let path = SpanPath::child(parent_path, &data.name, *nth);
            let ctx = &data.span_context;
            paths.insert((ctx.trace_id(), ctx.span_id()), path.clone());
            let kids = children.get(&ctx.span_id()).map(Vec::as_slice).unwrap_or_default();
            let children = nodes(kids, &path, children, paths);
            Node { data, children }
        })
        .collect()
}

fn span(
    node: &Node,
    parent_data: Option<&SpanData>,
    trace_start: SystemTime,
    paths: &HashMap<SpanKey, String>,
    time: &TimeContext,
    root_is_server: bool,
) -> Span {
    let d = node.data;
    let is_root = parent_data.is_none();
    let services = time.services;
    let parent = if d.parent_span_is_remote {
        Some(ParentLink::Remote)
    } else if is_root && d.parent_span_id != SpanId::INVALID {
        Some(ParentLink::Missing)
    } else {
        None
    };
    let micros = |from: SystemTime, to: SystemTime| to.duration_since(from).unwrap_or_default().as_micros() as u64;
    Span {
        name: d.name.to_string(),
        kind: match d.span_kind {
            opentelemetry::trace::SpanKind::Server => SpanKind::Server,
            opentelemetry::trace::SpanKind::Client => SpanKind::Client,
            opentelemetry::trace::SpanKind::Producer => SpanKind::Producer,
            opentelemetry::trace::SpanKind::Consumer => SpanKind::Consumer,
            opentelemetry::trace::SpanKind::Internal => SpanKind::Internal,
        },
        scope: scope(&d.instrumentation_scope),
        service: services.get(&(d.span_context.trace_id(), d.span_context.span_id())).cloned(),
        parent,
        status: match &d.status {
            opentelemetry::trace::Status::Unset => Status::Unset,
            opentelemetry::trace::Status::Ok => Status::Ok,
            opentelemetry::trace::Status::Error { description } => {
                Status::Error { description: description.to_string() }
            }
        },
        attributes: attributes(&d.attributes),
        at_creation: at_creation(d, time.starts),
        links_at_creation: !d.links.is_empty()
            && time
                .starts
                .at_start(d.span_context.trace_id(), d.span_context.span_id())
                .is_some_and(|at_start| at_start.links >= d.links.len()),
        events: d
            .events
            .iter()
            .map(|e| Event {
                name: e.name.to_string(),
                attributes: attributes(&e.attributes),
                at: time.event_at(root_is_server, e.timestamp),
            })
            .collect(),
        links: d
            .links
            .iter()
            .map(|l| {
                let key = (l.span_context.trace_id(), l.span_context.span_id());
                paths.get(&key).cloned().unwrap_or_else(|| "(a span outside the capture)".into())
            })
            .collect(),
        children: node.children.iter().map(|c| span(c, Some(d), trace_start, paths, time, root_is_server)).collect(),
        time: time.facts(d, parent_data),
        timing: Some(Timing {
            start_us: micros(trace_start, d.start_time),
            duration_us: micros(d.start_time, d.end_time),
        }),
    }
}

/// Of the attributes the conventions want on `d` at creation, those it had when it started.
fn at_creation(d: &SpanData, starts: &SpanStarts) -> Vec<String> {
    let Some(at_start) = starts.at_start(d.span_context.trace_id(), d.span_context.span_id()) else {
        return vec![];
    };
    let relevant = sampling_relevant(&d.span_kind, &d.attributes);
    let mut given: Vec<String> = at_start.keys.into_iter().filter(|k| relevant.contains(&k.as_str())).collect();
    given.sort();
    given.dedup();
    given
}

/// The attributes semantic conventions 1.42 mark `sampling_relevant` for a span like this
/// one (`model/http/spans.yaml`, `model/db/spans.yaml`, `model/messaging/spans.yaml`): a
/// sampler decides as the span starts, so they belong on its builder. Which convention a
/// client span follows is told by the attributes it ends with.
pub fn sampling_relevant(kind: &opentelemetry::trace::SpanKind, attributes: &[KeyValue]) -> &'static [&'static str] {
    use opentelemetry::trace::SpanKind as Kind;
    use opentelemetry_semantic_conventions::attribute as a;
    let has = |prefix: &str| attributes.iter().any(|kv| kv.key.as_str().starts_with(prefix));
    match kind {
        Kind::Server => &[
            a::HTTP_REQUEST_METHOD,
            a::URL_PATH,
            a::URL_QUERY,
            a::URL_SCHEME,
            a::SERVER_ADDRESS,
            a::SERVER_PORT,
            a::CLIENT_ADDRESS,
            a::USER_AGENT_ORIGINAL,
        ],
        Kind::Client if has("db.") => &[
            a::DB_SYSTEM_NAME,
            a::DB_NAMESPACE,
            a::DB_OPERATION_NAME,
            a::DB_COLLECTION_NAME,
            a::DB_QUERY_TEXT,
            a::DB_QUERY_SUMMARY,
            a::SERVER_ADDRESS,
            a::SERVER_PORT,
        ],
        Kind::Client => &[a::HTTP_REQUEST_METHOD, a::URL_FULL, a::SERVER_ADDRESS, a::SERVER_PORT],
        Kind::Producer | Kind::Consumer => &[
            a::MESSAGING_SYSTEM,
            a::MESSAGING_OPERATION_NAME,
            a::MESSAGING_OPERATION_TYPE,
            a::MESSAGING_DESTINATION_NAME,
            a::MESSAGING_DESTINATION_TEMPLATE,
            a::MESSAGING_DESTINATION_PARTITION_ID,
            a::SERVER_ADDRESS,
            a::SERVER_PORT,
        ],
        Kind::Internal => &[],
    }
}

/// `longest`: the longest request of the scenario, in seconds (see [`Magnitude`]).
fn metrics(export: &ResourceMetrics, longest: f64) -> Vec<Metric> {
    let mut out = Vec::new();
    for scope_metrics in export.scope_metrics() {
        let scope = scope(scope_metrics.scope());
        for m in scope_metrics.metrics() {
            let (kind, points, largest, without_min_max) = match m.data() {
                AggregatedMetrics::U64(d) => data_points(d, |v| Value::Int(v as i64), |v| v as f64),
                AggregatedMetrics::I64(d) => data_points(d, Value::Int, |v| v as f64),
                AggregatedMetrics::F64(d) => data_points(d, Value::Float, |v| v),
            };
            let magnitude = largest.map(|largest| magnitude(largest, longest));
            out.push(Metric {
                name: m.name().to_string(),
                kind,
                scope: scope.clone(),
                unit: m.unit().to_string(),
                description: m.description().to_string(),
                points,
                magnitude,
                min_max: without_min_max.then_some(false),
            });
        }
    }
    out.sort_by(|a, b| (&a.scope.name, &a.name).cmp(&(&b.scope.name, &b.name)));
    out
}

/// The kind, the points, and for histograms the largest value recorded and whether a point
/// lacks its min and max.
fn data_points<T: Copy>(
    data: &MetricData<T>,
    to_value: impl Fn(T) -> Value,
    to_f64: impl Fn(T) -> f64,
) -> (MetricKind, Vec<DataPoint>, Option<f64>, bool) {
    let mut largest: Option<f64> = None;
    let mut without_min_max = false;
    let point = |attrs: Vec<&KeyValue>| DataPoint {
        attributes: attrs.into_iter().map(|kv| (kv.key.to_string(), value(&kv.value))).collect(),
        value: None,
        count: None,
        bounds: None,
    };
    let (kind, mut points): (MetricKind, Vec<DataPoint>) = match data {
        MetricData::Sum(sum) => (
            if sum.is_monotonic() { MetricKind::Counter } else { MetricKind::UpDownCounter },
            sum.data_points()
                .map(|p| DataPoint { value: Some(to_value(p.value())), ..point(p.attributes().collect()) })
                .collect(),
        ),
        MetricData::Gauge(gauge) => (
            MetricKind::Gauge,
            gauge
                .data_points()
                .map(|p| DataPoint { value: Some(to_value(p.value())), ..point(p.attributes().collect()) })
                .collect(),
        ),
        MetricData::Histogram(h) => (
            MetricKind::Histogram,
            h.data_points()
                .inspect(|p| {
                    without_min_max |= p.max().is_none();
                    // Without min/max recorded, the mean is still of the same magnitude.
                    let value = p.max().map(&to_f64).unwrap_or_else(|| to_f64(p.sum()) / p.count().max(1) as f64);
                    largest = Some(largest.map_or(value, |l: f64| l.max(value)));
                })
                .map(|p| DataPoint {
                    count: Some(p.count()),
                    bounds: Some(p.bounds().collect()),
                    ..point(p.attributes().collect())
                })
                .collect(),
        ),
        MetricData::ExponentialHistogram(h) => (
            MetricKind::Histogram,
            h.data_points()
                .map(|p| DataPoint { count: Some(p.count() as u64), ..point(p.attributes().collect()) })
                .collect(),
        ),
    };
    points.sort_by_cached_key(|p| serde_json::to_string(&p.attributes).unwrap_or_default());
    (kind, points, largest, without_min_max)
}

/// When each span of a completed request's trace started and ended (see
/// [`LogRecord::outside_span`]): a request the caller gave up on ends its spans as they are
/// dropped, while work it spawned may still write, so nothing is judged there.
pub(super) fn span_times(spans: &[SpanData], run: &Run) -> HashMap<SpanKey, (SystemTime, SystemTime)> {
    let mut first: HashMap<TraceId, SystemTime> = HashMap::new();
    for s in spans {
        let start = first.entry(s.span_context.trace_id()).or_insert(s.start_time);
        *start = (*start).min(s.start_time);
    }
    let completed = |t: &SystemTime| run.requests.iter().any(|r| r.status.is_some() && r.contains(*t));
    spans
        .iter()
        .filter(|s| first.get(&s.span_context.trace_id()).is_some_and(completed))
        .map(|s| ((s.span_context.trace_id(), s.span_context.span_id()), (s.start_time, s.end_time)))
        .collect()
}

/// Whether a record written at `at` with the ids `key` lies outside that span's time.
pub(super) fn outside_span(
    times: &HashMap<SpanKey, (SystemTime, SystemTime)>,
    key: SpanKey,
    at: Option<SystemTime>,
) -> bool {
    match (times.get(&key), at) {
        (Some((start, end)), Some(at)) => at < *start || *end < at,
        _ => false,
    }
}

fn log_record(
    record: &opentelemetry_sdk::logs::SdkLogRecord,
    instrumentation: &InstrumentationScope,
    paths: &HashMap<SpanKey, String>,
    times: &HashMap<SpanKey, (SystemTime, SystemTime)>,
) -> LogRecord {
    let written = record.timestamp().or(record.observed_timestamp());
    LogRecord {
        event_name: record.event_name().map(event_name),
        severity: record
            .severity_text()
            .map(str::to_string)
            .or_else(|| record.severity_number().map(|s| s.name().to_string())),
        body: record.body().map(any_value),
        scope: scope(instrumentation),
        attributes: record.attributes_iter().map(|(k, v)| (k.to_string(), any_value(v))).collect(),
        span: record.trace_context().map(|tc| {
            paths.get(&(tc.trace_id, tc.span_id)).cloned().unwrap_or_else(|| "(a span outside the capture)".into())
        }),
        outside_span: record.trace_context().is_some_and(|tc| outside_span(times, (tc.trace_id, tc.span_id), written)),
        target: record.target().map(|t| t.to_string()),
    }
}

/// `event src/app.rs:42` (the `tracing` bridge's name for an event without `name:`)
/// becomes [`LogRecord::SOURCE_LOCATION`]; any other name is kept.
pub(super) fn event_name(name: &str) -> String {
    let location = name.strip_prefix("event ").and_then(|rest| rest.rsplit_once(':'));
    match location {
        Some((file, line)) if !file.is_empty() && !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) => {
            LogRecord::SOURCE_LOCATION.to_string()
        }
        _ => name.to_string(),
    }
}
