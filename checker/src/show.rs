//! `show`: what an exercise emitted, drawn in the terminal for learners with no trace
//! backend: each trace as a waterfall (tree, kind, status, timing bar, key attributes),
//! then the metrics and the log records.

use std::fmt::Write as _;

use telemetry_document::{Document, Span, Status, Trace};

/// Width of the timing bars, in characters.
const BAR: usize = 32;
/// Attributes shown per span (the full list is in the document).
const SHOWN_ATTRIBUTES: usize = 3;

pub fn render(document: &Document) -> String {
    let mut out = String::new();
    if !document.requests.is_empty() {
        let _ = writeln!(out, "Requests");
        for request in &document.requests {
            let _ = writeln!(out, "  {request}");
        }
        let _ = writeln!(out);
    }
    let resource: Vec<String> = document.resource.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let _ = writeln!(out, "Resource  {}", if resource.is_empty() { "(none)".into() } else { resource.join("  ") });
    for (i, trace) in document.traces.iter().enumerate() {
        let _ = writeln!(out);
        waterfall(&mut out, i + 1, trace);
    }
    if document.traces.is_empty() {
        let _ = writeln!(out, "\nNo spans.");
    }
    let _ = writeln!(out);
    if document.metrics.is_empty() {
        let _ = writeln!(out, "No metrics.");
    } else {
        let _ = writeln!(out, "Metrics");
        for metric in &document.metrics {
            let unit = if metric.unit.is_empty() { String::new() } else { format!(" [{}]", metric.unit) };
            let _ = writeln!(out, "  {} ({}){unit}", metric.name, metric.kind);
            for point in &metric.points {
                let attributes: Vec<String> = point.attributes.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let value = match (&point.value, point.count) {
                    (Some(v), _) => v.to_string(),
                    (None, Some(count)) => format!("count {count}"),
                    (None, None) => "-".into(),
                };
                let _ = writeln!(out, "    {{{}}}  {value}", attributes.join(", "));
            }
        }
    }
    if document.logs.is_empty() {
        let _ = writeln!(out, "No log records.");
    } else {
        let _ = writeln!(out, "Logs");
        for log in &document.logs {
            let body = log.body.as_ref().map(|b| b.to_string()).unwrap_or_default();
            let span = log.span.as_deref().map(|s| format!("  (in {s})")).unwrap_or_else(|| "  (no span)".into());
            let event = log.event_name.as_deref().map(|e| format!("  [event name: {e}]")).unwrap_or_default();
            let _ = writeln!(out, "  {:<5} {body}{span}{event}", log.severity.as_deref().unwrap_or("-"));
        }
    }
    out
}

/// One row per span: tree, name, kind, status, bar, duration, key attributes.
struct Row {
    label: String,
    span: Span,
}

fn rows(spans: &[Span], prefix: &str, out: &mut Vec<Row>, top: bool) {
    for (i, span) in spans.iter().enumerate() {
        let last = i + 1 == spans.len();
        let (branch, next) = match (top, last) {
            (true, _) => ("", ""),
            (false, true) => ("└─ ", "   "),
            (false, false) => ("├─ ", "│  "),
        };
        let service = span.service.as_deref().map(|s| format!(" [{s}]")).unwrap_or_default();
        out.push(Row {
            label: format!("{prefix}{branch}{}{service}", span.name),
            span: Span { children: vec![], ..span.clone() },
        });
        rows(&span.children, &format!("{prefix}{next}"), out, false);
    }
}

fn waterfall(out: &mut String, number: usize, trace: &Trace) {
    let mut all = Vec::new();
    rows(&trace.spans, "", &mut all, true);
    let end = all.iter().filter_map(|r| r.span.timing).map(|t| t.start_us + t.duration_us).max().unwrap_or(0).max(1);
    let width = all.iter().map(|r| r.label.chars().count()).max().unwrap_or(0);
    let remote =
        if trace.spans.iter().any(|s| s.parent.is_some()) { "  (continues a trace from elsewhere)" } else { "" };
    let request = trace.request.as_deref().map(|r| format!("  {r}")).unwrap_or_default();
    // A snapshot's spans keep no timing (`show --solution` in the student edition).
    let total = if all.iter().any(|r| r.span.timing.is_some()) { format!("  {}", millis(end)) } else { String::new() };
    let _ = writeln!(out, "Trace {number}{request}{total}{remote}");
    for row in all {
        let s = &row.span;
        let bar = match s.timing {
            Some(t) => {
                let from = (t.start_us as usize * BAR / end as usize).min(BAR - 1);
                let len = ((t.duration_us as usize * BAR).div_ceil(end as usize)).clamp(1, BAR - from);
                format!("{}{}{}", " ".repeat(from), "█".repeat(len), " ".repeat(BAR - from - len))
            }
            None => " ".repeat(BAR),
        };
        let duration = s.timing.map(|t| millis(t.duration_us)).unwrap_or_default();
        let status = match &s.status {
            Status::Unset => String::new(),
            Status::Ok => "ok".into(),
            Status::Error { description } => format!("ERROR {description} "),
        };
        let attributes: Vec<String> =
            s.attributes.iter().take(SHOWN_ATTRIBUTES).map(|(k, v)| format!("{k}={v}")).collect();
        let more = s.attributes.len().saturating_sub(SHOWN_ATTRIBUTES);
        let more = if more > 0 { format!(" +{more}") } else { String::new() };
        let events = if s.events.is_empty() { String::new() } else { format!(" ({} event(s))", s.events.len()) };
        let line = format!(
            "  {:<width$}  {:<8} |{bar}| {duration:>8}  {status}{}{more}{events}",
            row.label,
            s.kind.to_string(),
            attributes.join(" ")
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

fn millis(us: u64) -> String {
    if us < 1000 { format!("{us} µs") } else { format!("{:.2} ms", us as f64 / 1000.0) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use telemetry_document::{SpanKind, Timing, Value};

    fn span(name: &str, kind: SpanKind, start_us: u64, duration_us: u64, children: Vec<Span>) -> Span {
        Span { children, timing: Some(Timing { start_us, duration_us }), ..Span::new(name, kind) }
    }

    #[test]
    fn a_trace_draws_as_a_waterfall() {
        let mut fetch = span("GET", SpanKind::Client, 100, 600, vec![]);
        fetch.status = Status::Error { description: "position service unreachable".into() };
        let mut root = span(
            "GET /distance/{place}",
            SpanKind::Server,
            0,
            1000,
            vec![fetch, span("compute-distance", SpanKind::Internal, 750, 50, vec![])],
        );
        root.attributes.insert("app.place".into(), Value::String("tokyo".into()));
        let document = Document {
            requests: vec!["GET /distance/tokyo -> 502".into()],
            traces: vec![Trace { request: None, spans: vec![root] }],
            ..Document::default()
        };
        insta::assert_snapshot!(render(&document));
    }
}
