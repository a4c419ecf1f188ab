//! From what went over the wire to a [`Document`]: the OTLP requests the capture's
//! receiver decoded ([`Received`]) become the same document the in-memory path makes
//! ([`super::normalise`]): spans are turned back into the SDK's `SpanData` and go through
//! the same tree, path and time rules; metrics and log records are read from the protobuf
//! messages directly, with the same rules.
//!
//! What the wire format itself changes, so the document of a capture over the wire
//! says them its own way (`tests/wire.rs` checks everything else is identical):
//! - a log record's `target` (the `tracing` or `log` target) travels as its scope's name
//!   (opentelemetry-proto 0.33 groups records by target). The bridges, the only ones that
//!   set a target, log with an empty scope, so a scope named like a Rust module path
//!   (`crate::module`) or like the exercise's own crate is read back as that: an empty
//!   scope, and the name as the record's target (which snapshots leave out: it names the
//!   learner's crate);
//! - records arrive grouped by that scope, so they are put back in the order they were
//!   emitted by the time the SDK observed each (nanoseconds);
//! - which spans are the position service's: the harness gives that service's provider
//!   an id sequence of its own ([`crate::edge::Ids`]), so its spans are those whose span
//!   id is in that sequence, whatever order the exports arrived in.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

use opentelemetry::trace::{
    Event, Link, SpanContext, SpanId, SpanKind, Status as SpanStatus, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{Array, InstrumentationScope, KeyValue, StringValue};
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, InstrumentationScope as WireScope, KeyValue as WireKeyValue, any_value,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord as WireLog, SeverityNumber};
use opentelemetry_proto::tonic::metrics::v1::{Metric as WireMetric, metric, number_data_point};
use opentelemetry_proto::tonic::resource::v1::Resource as WireResource;
use opentelemetry_proto::tonic::trace::v1::{Span as WireSpan, span, status};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use telemetry_document::{Attributes, DataPoint, Document, LogRecord, Metric, MetricKind, Scope, Value};

use super::normalise::{self, SpanKey};
use super::receiver::{Arrived, Received, is_position};
use super::scenario::{Made, Run};
use crate::edge::SpanStarts;

/// `run` is what the harness observed; `before` what had arrived when the service began
/// to shut down.
pub fn document(received: &Received, run: &Run, before: &Arrived, starts: &SpanStarts) -> Document {
    // Spans, each with the resource it came with; the position service's apart.
    let mut spans = Vec::new();
    let mut spans_resource = None;
    let mut position_resource = None;
    let mut position_keys = Vec::new();
    for resource_spans in received.traces.iter().flat_map(|r| &r.resource_spans) {
        let resource = resource(resource_spans.resource.as_ref());
        for scope_spans in &resource_spans.scope_spans {
            let scope = instrumentation_scope(scope_spans.scope.as_ref());
            for wire in &scope_spans.spans {
                let data = span_data(wire, &scope);
                let key = (data.span_context.trace_id(), data.span_context.span_id());
                if is_position(&wire.span_id) {
                    position_resource.get_or_insert_with(|| resource.clone());
                    position_keys.push(key);
                } else {
                    spans_resource.get_or_insert_with(|| resource.clone());
                }
                spans.push(data);
            }
        }
    }
    let mut logs: Vec<(&WireLog, Scope, Resource)> = received
        .logs
        .iter()
        .flat_map(|r| &r.resource_logs)
        .flat_map(|rl| {
            let resource = resource(rl.resource.as_ref());
            rl.scope_logs.iter().flat_map(move |sl| {
                let scope = normalise::scope(&instrumentation_scope(sl.scope.as_ref()));
                let resource = resource.clone();
                sl.log_records.iter().map(move |l| (l, scope.clone(), resource.clone()))
            })
        })
        .collect();
    // The exporter groups records by scope (by target): back to the order they were
    // emitted, which the SDK stamped on each (`observed_time`, in nanoseconds; a stable
    // sort keeps the batch's order for equal stamps).
    logs.sort_by_key(|(l, _, _)| l.observed_time_unix_nano);
    // Each export of a periodic reader is a full cumulative snapshot: the last has everything.
    let last_metrics = received.metrics.last().and_then(|m| m.resource_metrics.first());
    let logs_resource = logs.first().map(|(_, _, r)| r.clone());
    let metrics_resource = last_metrics.map(|m| resource(m.resource.as_ref()));
    let main = spans_resource.clone().or_else(|| logs_resource.clone()).or_else(|| metrics_resource.clone());
    let main_attributes = main.as_ref().map(normalise::resource_attributes).unwrap_or_default();
    let mut resources = BTreeMap::new();
    for (signal, other) in [("logs", &logs_resource), ("metrics", &metrics_resource)] {
        if let Some(other) = other.as_ref().map(normalise::resource_attributes)
            && other != main_attributes
        {
            resources.insert(signal.to_string(), other);
        }
    }
    if let Some(other) = position_resource.as_ref().map(normalise::resource_attributes)
        && other != main_attributes
    {
        resources.insert("position traces".to_string(), other);
    }
    let after = received.arrived();
    let mut delivery = BTreeMap::new();
    for (signal, before, after) in [
        ("traces", before.spans, after.spans),
        ("position traces", before.position_spans, after.position_spans),
        ("metrics", before.metric_exports, after.metric_exports),
        ("logs", before.logs, after.logs),
    ] {
        if let Some(when) = normalise::delivered(before, after) {
            delivery.insert(signal.to_string(), when);
        }
    }
    let main_name = main.as_ref().and_then(normalise::service_name);
    let position_name = position_resource.as_ref().and_then(normalise::service_name);
    let mut services: HashMap<SpanKey, String> = HashMap::new();
    if let Some(name) = position_name.filter(|n| Some(n) != main_name.as_ref()) {
        for key in &position_keys {
            services.insert(*key, name.clone());
        }
    }
    let (traces, paths) = normalise::traces(&spans, &services, run, starts);
    let longest = normalise::longest_request(run);
    let mut metrics: Vec<Metric> = last_metrics
        .into_iter()
        .flat_map(|rm| &rm.scope_metrics)
        .flat_map(|sm| {
            let scope = normalise::scope(&instrumentation_scope(sm.scope.as_ref()));
            sm.metrics.iter().filter_map(move |m| self::metric(m, &scope, longest))
        })
        .collect();
    metrics.sort_by(|a, b| (&a.scope.name, &a.name).cmp(&(&b.scope.name, &b.name)));
    Document {
        requests: run.requests.iter().map(Made::line).collect(),
        resource: main_attributes,
        traces,
        metrics,
        logs: {
            let times = normalise::span_times(&spans, run);
            logs.iter().map(|(l, scope, _)| log_record(l, scope, &paths, &times)).collect()
        },
        // A capture over the wire does not look while a request is held (see `capture`).
        while_held: vec![],
        resources,
        delivery,
        env_captures: vec![],
        refused: received.refused(),
        stderr: vec![],
        capture_facts: Default::default(),
    }
}

fn resource(wire: Option<&WireResource>) -> Resource {
    let attributes = wire.map(|r| key_values(&r.attributes)).unwrap_or_default();
    Resource::builder_empty().with_attributes(attributes).build()
}

fn instrumentation_scope(wire: Option<&WireScope>) -> InstrumentationScope {
    let Some(wire) = wire else { return InstrumentationScope::builder("").build() };
    let builder = InstrumentationScope::builder(wire.name.clone());
    match wire.version.as_str() {
        "" => builder.build(),
        version => builder.with_version(version.to_string()).build(),
    }
}

fn key_values(wire: &[WireKeyValue]) -> Vec<KeyValue> {
    wire.iter().map(|kv| KeyValue::new(kv.key.clone(), api_value(kv.value.as_ref()))).collect()
}

/// An attribute value as the API had it (arrays are of one type in the API).
fn api_value(wire: Option<&AnyValue>) -> opentelemetry::Value {
    use any_value::Value as W;
    match wire.and_then(|v| v.value.as_ref()) {
        Some(W::StringValue(s)) => s.clone().into(),
        Some(W::BoolValue(b)) => (*b).into(),
        Some(W::IntValue(i)) => (*i).into(),
        Some(W::DoubleValue(f)) => (*f).into(),
        Some(W::ArrayValue(a)) => {
            let items: Vec<Option<&any_value::Value>> = a.values.iter().map(|v| v.value.as_ref()).collect();
            let array = match items.first() {
                Some(Some(W::BoolValue(_))) => Array::Bool(
                    items.iter().filter_map(|v| if let Some(W::BoolValue(b)) = v { Some(*b) } else { None }).collect(),
                ),
                Some(Some(W::IntValue(_))) => Array::I64(
                    items.iter().filter_map(|v| if let Some(W::IntValue(i)) = v { Some(*i) } else { None }).collect(),
                ),
                Some(Some(W::DoubleValue(_))) => Array::F64(
                    items
                        .iter()
                        .filter_map(|v| if let Some(W::DoubleValue(f)) = v { Some(*f) } else { None })
                        .collect(),
                ),
                _ => Array::String(
                    items
                        .iter()
                        .filter_map(|v| {
                            if let Some(W::StringValue(s)) = v { Some(StringValue::from(s.clone())) } else { None }
                        })
                        .collect(),
                ),
            };
            opentelemetry::Value::Array(array)
        }
        Some(other) => format!("{other:?}").into(),
        None => "".into(),
    }
}

/// A log body or attribute as the document keeps it (see `normalise::any_value`).
fn log_value(wire: Option<&AnyValue>) -> Value {
    use any_value::Value as W;
    match wire.and_then(|v| v.value.as_ref()) {
        Some(W::IntValue(i)) => Value::Int(*i),
        Some(W::DoubleValue(f)) => Value::Float(*f),
        Some(W::StringValue(s)) => Value::String(s.clone()),
        Some(W::BoolValue(b)) => Value::Bool(*b),
        Some(W::ArrayValue(a)) => Value::Array(a.values.iter().map(|v| log_value(Some(v))).collect()),
        Some(other) => Value::String(format!("{other:?}")),
        None => Value::String(String::new()),
    }
}

fn time(nanos: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_nanos(nanos)
}

fn trace_id(bytes: &[u8]) -> TraceId {
    bytes.try_into().map(TraceId::from_bytes).unwrap_or(TraceId::INVALID)
}

fn span_id(bytes: &[u8]) -> SpanId {
    bytes.try_into().map(SpanId::from_bytes).unwrap_or(SpanId::INVALID)
}

/// The OTLP span flags that say the parent was remote (`SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE`
/// and `SPAN_FLAGS_CONTEXT_IS_REMOTE`).
const HAS_IS_REMOTE: u32 = 0x100;
const IS_REMOTE: u32 = 0x200;

/// A span as the SDK exported it, so that the in-memory path's rules apply unchanged.
fn span_data(wire: &WireSpan, scope: &InstrumentationScope) -> SpanData {
    let context = |trace: &[u8], span: &[u8]| {
        SpanContext::new(trace_id(trace), span_id(span), TraceFlags::SAMPLED, false, TraceState::default())
    };
    let mut events = SpanEvents::default();
    events.events = wire
        .events
        .iter()
        .map(|e| Event::new(e.name.clone(), time(e.time_unix_nano), key_values(&e.attributes), 0))
        .collect();
    let mut links = SpanLinks::default();
    links.links =
        wire.links.iter().map(|l| Link::new(context(&l.trace_id, &l.span_id), key_values(&l.attributes), 0)).collect();
    let status = match &wire.status {
        Some(s) if s.code == status::StatusCode::Error as i32 => SpanStatus::error(s.message.clone()),
        Some(s) if s.code == status::StatusCode::Ok as i32 => SpanStatus::Ok,
        _ => SpanStatus::Unset,
    };
    let kind = match span::SpanKind::try_from(wire.kind) {
        Ok(span::SpanKind::Server) => SpanKind::Server,
        Ok(span::SpanKind::Client) => SpanKind::Client,
        Ok(span::SpanKind::Producer) => SpanKind::Producer,
        Ok(span::SpanKind::Consumer) => SpanKind::Consumer,
        _ => SpanKind::Internal,
    };
    SpanData {
        span_context: context(&wire.trace_id, &wire.span_id),
        parent_span_id: span_id(&wire.parent_span_id),
        parent_span_is_remote: wire.flags & HAS_IS_REMOTE != 0 && wire.flags & IS_REMOTE != 0,
        span_kind: kind,
        name: wire.name.clone().into(),
        start_time: time(wire.start_time_unix_nano),
        end_time: time(wire.end_time_unix_nano),
        attributes: key_values(&wire.attributes),
        dropped_attributes_count: wire.dropped_attributes_count,
        events,
        links,
        status,
        instrumentation_scope: scope.clone(),
    }
}

fn attributes(wire: &[WireKeyValue]) -> Attributes {
    key_values(wire).iter().map(|kv| (kv.key.to_string(), normalise::value(&kv.value))).collect()
}

/// A metric as `normalise::metrics` makes it; `None` for one without data.
fn metric(wire: &WireMetric, scope: &Scope, longest: f64) -> Option<Metric> {
    let number = |v: &Option<number_data_point::Value>| match v {
        Some(number_data_point::Value::AsInt(i)) => Value::Int(*i),
        Some(number_data_point::Value::AsDouble(f)) => Value::Float(*f),
        None => Value::Int(0),
    };
    let point =
        |attrs: &[WireKeyValue]| DataPoint { attributes: attributes(attrs), value: None, count: None, bounds: None };
    let mut largest: Option<f64> = None;
    let mut without_min_max = false;
    let (kind, mut points): (MetricKind, Vec<DataPoint>) = match wire.data.as_ref()? {
        metric::Data::Sum(sum) => (
            if sum.is_monotonic { MetricKind::Counter } else { MetricKind::UpDownCounter },
            sum.data_points
                .iter()
                .map(|p| DataPoint { value: Some(number(&p.value)), ..point(&p.attributes) })
                .collect(),
        ),
        metric::Data::Gauge(gauge) => (
            MetricKind::Gauge,
            gauge
                .data_points
                .iter()
                .map(|p| DataPoint { value: Some(number(&p.value)), ..point(&p.attributes) })
                .collect(),
        ),
        metric::Data::Histogram(h) => (
            MetricKind::Histogram,
            h.data_points
                .iter()
                .inspect(|p| {
                    without_min_max |= p.max.is_none();
                    let value = p.max.unwrap_or_else(|| p.sum.unwrap_or_default() / p.count.max(1) as f64);
                    largest = Some(largest.map_or(value, |l: f64| l.max(value)));
                })
                .map(|p| DataPoint {
                    count: Some(p.count),
                    bounds: Some(p.explicit_bounds.clone()),
                    ..point(&p.attributes)
                })
                .collect(),
        ),
        metric::Data::ExponentialHistogram(h) => (
            MetricKind::Histogram,
            h.data_points.iter().map(|p| DataPoint { count: Some(p.count), ..point(&p.attributes) }).collect(),
        ),
        metric::Data::Summary(_) => return None,
    };
    points.sort_by_cached_key(|p: &DataPoint| serde_json::to_string(&p.attributes).unwrap_or_default());
    Some(Metric {
        name: wire.name.clone(),
        kind,
        scope: scope.clone(),
        unit: wire.unit.clone(),
        description: wire.description.clone(),
        points,
        magnitude: largest.map(|largest| normalise::magnitude(largest, longest)),
        min_max: without_min_max.then_some(false),
    })
}

/// The crate of the running executable (`ex19-real-pipeline` is `ex19_real_pipeline` as a
/// target), to recognise a target at its crate's root.
fn own_crate() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.file_stem()?.to_str()?.replace('-', "_"))
}

/// A log record's scope and target, from the scope it travelled under (see the module's
/// comment).
fn scope_and_target(scope: Scope, own_crate: Option<&str>) -> (Scope, Option<String>) {
    let is_target = scope.version.is_none() && (scope.name.contains("::") || Some(scope.name.as_str()) == own_crate);
    if is_target { (Scope { name: String::new(), version: None }, Some(scope.name)) } else { (scope, None) }
}

fn log_record(
    wire: &WireLog,
    scope: &Scope,
    paths: &HashMap<SpanKey, String>,
    times: &HashMap<SpanKey, (SystemTime, SystemTime)>,
) -> LogRecord {
    let (scope, target) = scope_and_target(scope.clone(), own_crate().as_deref());
    let severity = match wire.severity_text.as_str() {
        "" => SeverityNumber::try_from(wire.severity_number)
            .ok()
            .filter(|n| *n != SeverityNumber::Unspecified)
            .map(|n| n.as_str_name().trim_start_matches("SEVERITY_NUMBER_").to_string()),
        text => Some(text.to_string()),
    };
    let key = (!wire.span_id.is_empty()).then(|| (trace_id(&wire.trace_id), span_id(&wire.span_id)));
    let span = key.map(|key| paths.get(&key).cloned().unwrap_or_else(|| "(a span outside the capture)".into()));
    let nanos = if wire.time_unix_nano != 0 { wire.time_unix_nano } else { wire.observed_time_unix_nano };
    let written = (nanos != 0).then(|| SystemTime::UNIX_EPOCH + Duration::from_nanos(nanos));
    let outside_span = key.is_some_and(|key| normalise::outside_span(times, key, written));
    LogRecord {
        event_name: (!wire.event_name.is_empty()).then(|| normalise::event_name(&wire.event_name)),
        severity,
        body: wire.body.as_ref().map(|b| log_value(Some(b))),
        scope,
        attributes: wire.attributes.iter().map(|kv| (kv.key.clone(), log_value(kv.value.as_ref()))).collect(),
        span,
        outside_span,
        target,
    }
}
