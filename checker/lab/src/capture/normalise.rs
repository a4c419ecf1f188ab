//! Normalisation: from what the SDK exported to a [`Document`] that is identical on every
//! run. Ids become positions in the tree, timestamps become order (and relative timings
//! that snapshots leave out), metric points are sorted, `telemetry.sdk.*` is dropped.

use std::collections::HashMap;
use std::time::SystemTime;

use opentelemetry::logs::AnyValue;
use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::trace::SpanData;
use telemetry_document::{
    Attributes, DataPoint, Document, Event, LogRecord, Metric, MetricKind, ParentLink, Scope, Span, SpanKind, SpanPath,
    Status, Timing, Trace, Value,
};

use crate::edge::Captured;

type SpanKey = (TraceId, SpanId);

pub fn document(captured: &Captured, requests: Vec<String>) -> Document {
    let metrics_exports = captured.metrics.get_finished_metrics().unwrap_or_default();
    let logs = captured.logs.emitted();
    // Every signal of the main service carries the same resource; take it from whichever
    // signal has one.
    let resource = captured
        .spans
        .resource()
        .or_else(|| logs.first().map(|l| l.resource.clone().into_owned()))
        .or_else(|| metrics_exports.last().map(|m| m.resource().clone()));
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
    let (traces, paths) = traces(&spans, &services);
    Document {
        requests,
        resource: resource.map(|r| resource_attributes(&r)).unwrap_or_default(),
        traces,
        // Each flush exports a full cumulative snapshot: the last one has everything.
        metrics: metrics_exports.last().map(metrics).unwrap_or_default(),
        logs: logs.iter().map(|l| log_record(&l.record, &l.instrumentation, &paths)).collect(),
    }
}

fn service_name(resource: &Resource) -> Option<String> {
    resource.get(&opentelemetry::Key::from_static_str("service.name")).map(|v| v.to_string())
}

fn resource_attributes(resource: &Resource) -> Attributes {
    resource
        .iter()
        .filter(|(k, _)| !k.as_str().starts_with("telemetry.sdk."))
        .map(|(k, v)| (k.to_string(), value(v)))
        .collect()
}

fn attributes(kvs: &[KeyValue]) -> Attributes {
    kvs.iter().map(|kv| (kv.key.to_string(), value(&kv.value))).collect()
}

fn value(v: &opentelemetry::Value) -> Value {
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

fn scope(s: &InstrumentationScope) -> Scope {
    Scope { name: s.name().to_string(), version: s.version().map(str::to_string) }
}

/// A span with its children, ordered, and its path.
struct Node<'a> {
    data: &'a SpanData,
    children: Vec<Node<'a>>,
}

fn traces(spans: &[SpanData], services: &HashMap<SpanKey, String>) -> (Vec<Trace>, HashMap<SpanKey, String>) {
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
        .map(|(start, roots)| Trace { spans: roots.iter().map(|n| span(n, true, *start, &paths, services)).collect() })
        .collect();
    (traces, paths)
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
    is_root: bool,
    trace_start: SystemTime,
    paths: &HashMap<SpanKey, String>,
    services: &HashMap<SpanKey, String>,
) -> Span {
    let d = node.data;
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
        events: d
            .events
            .iter()
            .map(|e| Event { name: e.name.to_string(), attributes: attributes(&e.attributes) })
            .collect(),
        links: d
            .links
            .iter()
            .map(|l| {
                let key = (l.span_context.trace_id(), l.span_context.span_id());
                paths.get(&key).cloned().unwrap_or_else(|| "(a span outside the capture)".into())
            })
            .collect(),
        children: node.children.iter().map(|c| span(c, false, trace_start, paths, services)).collect(),
        timing: Some(Timing {
            start_us: micros(trace_start, d.start_time),
            duration_us: micros(d.start_time, d.end_time),
        }),
    }
}

fn metrics(export: &ResourceMetrics) -> Vec<Metric> {
    let mut out = Vec::new();
    for scope_metrics in export.scope_metrics() {
        let scope = scope(scope_metrics.scope());
        for m in scope_metrics.metrics() {
            let (kind, points) = match m.data() {
                AggregatedMetrics::U64(d) => data_points(d, |v| Value::Int(v as i64)),
                AggregatedMetrics::I64(d) => data_points(d, Value::Int),
                AggregatedMetrics::F64(d) => data_points(d, Value::Float),
            };
            out.push(Metric {
                name: m.name().to_string(),
                kind,
                scope: scope.clone(),
                unit: m.unit().to_string(),
                description: m.description().to_string(),
                points,
            });
        }
    }
    out.sort_by(|a, b| (&a.scope.name, &a.name).cmp(&(&b.scope.name, &b.name)));
    out
}

fn data_points<T: Copy>(data: &MetricData<T>, to_value: impl Fn(T) -> Value) -> (MetricKind, Vec<DataPoint>) {
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
    (kind, points)
}

fn log_record(
    record: &opentelemetry_sdk::logs::SdkLogRecord,
    instrumentation: &InstrumentationScope,
    paths: &HashMap<SpanKey, String>,
) -> LogRecord {
    LogRecord {
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
        target: record.target().map(|t| t.to_string()),
    }
}
