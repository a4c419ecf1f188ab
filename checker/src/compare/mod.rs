//! Comparison: what differs between the expected telemetry (the snapshot) and what an
//! exercise emitted, one line per difference, in a learner's words, grouped by signal.
//!
//! Traces are matched by the names of their root spans (in order), spans by their name
//! and position inside the trace, metrics by name, data points by attributes, and log
//! records by severity and body (in order). A span found at the wrong place is reported
//! once, as misplaced, not as one missing and one unexpected span.

use serde::{Deserialize, Serialize};
use telemetry_document::{Attributes, Delivery, Document, Trace};

pub use crate::kind::Kind;

mod delivery;
mod logs;
mod metrics;
mod resource;
mod traces;

use delivery::{delivery, env_captures, refused};
use logs::logs;
use metrics::metrics;
use resource::{resource, resources};
use traces::{Pipeline, Renumber, pair_traces, traces};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    Requests,
    Resource,
    Traces,
    Metrics,
    Logs,
    /// The learner's own tests (an exercise graded by its tests, [`crate::tested`]).
    Tests,
}

impl Signal {
    /// As in reports: `traces`.
    pub fn word(self) -> &'static str {
        match self {
            Signal::Requests => "requests",
            Signal::Resource => "resource",
            Signal::Traces => "traces",
            Signal::Metrics => "metrics",
            Signal::Logs => "logs",
            Signal::Tests => "tests",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Signal::Requests => "Responses",
            Signal::Resource => "Resource",
            Signal::Traces => "Traces",
            Signal::Metrics => "Metrics",
            Signal::Logs => "Logs",
            Signal::Tests => "Tests",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    pub signal: Signal,
    /// What sort of difference it is, whatever its wording ([`crate::kind`]).
    pub kind: Kind,
    pub text: String,
}

impl Difference {
    /// The stable identifier of its kind in reports: `traces.span.missing`.
    pub fn kind_id(&self) -> String {
        format!("{}.{}", self.signal.word(), self.kind.id())
    }
}

/// Every difference, in signal order. Empty exactly when the documents are equal.
pub fn differences(expected: &Document, actual: &Document) -> Vec<Difference> {
    let mut out = Diffs::default();
    requests(&mut out, &expected.requests, &actual.requests);
    // Over the wire, a signal the collector received nothing of is said once, by the
    // collector (`refused`): the in-process causes of "nothing exported" would mislead.
    let unheard = |signal: &str, nothing: bool| nothing && actual.refused.contains_key(signal);
    refused(&mut out, expected, actual);
    if !unheard("traces", actual.resource.is_empty()) {
        resource(&mut out, &expected.resource, &actual.resource);
    }
    resources(&mut out, expected, actual);
    // One pairing of traces for everything that names a span by its path.
    let pairing = pair_traces(&expected.traces, &actual.traces);
    let renumber = Renumber::new(&pairing.0, actual.traces.len());
    let pipeline = pipeline(expected, actual);
    // Nothing at all of a signal whose pipeline the capture saw shut down: shutdown is
    // ruled out as a cause, so this line leaves it out (the usual one offers it).
    let none_though_shut_down = |signal: &str, nothing: bool| {
        nothing && actual.capture_facts.shut_down(signal) == Some(true) && !actual.refused.contains_key(signal)
    };
    if none_though_shut_down("traces", actual.traces.is_empty() && !expected.traces.is_empty()) {
        out.add(
            Signal::Traces,
            Kind::NothingThoughShutDown,
            "no spans were exported, though the tracer provider was shut down on the way out (which exports \
             everything it holds). Usually the spans come from a tracer of another provider, or they were never ended.",
        );
    } else if !unheard("traces", actual.traces.is_empty()) {
        traces(&mut out, &expected.traces, &actual.traces, &pairing, &renumber, pipeline);
    }
    delivery(&mut out, expected, actual);
    env_captures(&mut out, expected, actual);
    if none_though_shut_down("metrics", actual.metrics.is_empty() && !expected.metrics.is_empty()) {
        out.add(
            Signal::Metrics,
            Kind::NothingThoughShutDown,
            "no metrics were exported, though the meter provider was shut down on the way out (its reader exports \
             what it holds then). Usually no instrument recorded anything (an instrument that is created but never \
             used exports nothing), or the instruments come from another provider than the one read by \
             `PeriodicReader::builder(edge.metrics)`.",
        );
    } else if !unheard("metrics", actual.metrics.is_empty()) {
        metrics(&mut out, &expected.metrics, &actual.metrics);
        metrics::while_held(&mut out, &expected.while_held, &actual.while_held, &actual.metrics);
    }
    if !unheard("logs", actual.logs.is_empty()) {
        logs(&mut out, &expected.logs, &actual.logs, &renumber, pipeline, (&expected.traces, &actual.traces));
    }
    let mut diffs = group_by_trace(out.0.into_iter().map(name_traces).collect());
    // What the harness saw of the pipeline is never a difference itself, nor is a fact about
    // a span that holds here and not in the solution (a span made current where the solution
    // needed none to be, attributes given at creation that it set later): every fact the
    // solution has and this lacks is told by the rules above.
    let differs =
        || facts_aside(expected) != facts_aside(&Document { capture_facts: Box::default(), ..actual.clone() });
    if diffs.is_empty() && differs() {
        // A difference the rules above do not describe (for instance, order only).
        diffs.push(Difference {
            signal: Signal::Traces,
            kind: Kind::Order,
            text: "the telemetry differs from the expected in order only; see the raw diff (--verbose)".into(),
        });
    }
    diffs
}

/// The document without its spans' facts (time, what they had at creation) and its runs'
/// warnings, which the rules compare one way only: only a fact the solution has is required.
fn facts_aside(document: &Document) -> Document {
    fn strip(spans: &mut [telemetry_document::Span]) {
        for span in spans {
            span.time.clear();
            span.at_creation.clear();
            span.links_at_creation = false;
            strip(&mut span.children);
        }
    }
    let mut document = document.clone();
    for trace in &mut document.traces {
        strip(&mut trace.spans);
    }
    // The SDK's warning on stderr is required only where the solution shows it.
    for env in &mut document.env_captures {
        env.sdk_warned = false;
    }
    document
}

/// What the snapshot shows of the exercise's pipeline, and the capture of its shutdown
/// (see [`Pipeline`]).
fn pipeline(expected: &Document, actual: &Document) -> Pipeline {
    let traced: Vec<&String> = expected.traces.iter().filter_map(|t| t.request.as_ref()).collect();
    // A sampler leaves some requests of a traced route without a trace; a route that is
    // not instrumented yet (`/places` before exercise 12) leaves all of its requests so.
    let sampled_out =
        expected.requests.iter().any(|r| !traced.contains(&r) && traced.iter().any(|t| route_of(t) == route_of(r)));
    Pipeline {
        sampler: sampled_out,
        batched: expected.delivery.get("traces") == Some(&Delivery::AtShutdown),
        traces_shut_down: actual.capture_facts.shut_down("traces") == Some(true),
        logs_shut_down: actual.capture_facts.shut_down("logs") == Some(true),
        starts_unseen: actual.capture_facts.starts_unseen,
        propagator_unset: actual.capture_facts.propagator_fields.as_ref().is_some_and(Vec::is_empty),
    }
}

/// `GET /distance/paris -> 200` -> `GET /distance`: the method and the path's first segment.
fn route_of(request: &str) -> &str {
    let path_start = request.find(' ').map_or(0, |i| i + 1);
    let end = request[path_start..]
        .char_indices()
        .skip(1)
        .find(|(_, c)| *c == '/' || c.is_whitespace())
        .map_or(request.len(), |(i, _)| path_start + i);
    &request[..end]
}

/// Marks a trace's name inside a span path, so that [`name_traces`] can move it out.
const LABEL_MARK: char = '\u{1}';

/// How a span path names its trace: by the request that started it when the document
/// says (`the 404 request `GET /x``, marked for [`name_traces`]), else by number.
fn trace_label(trace: &Trace, number: usize) -> String {
    match &trace.request {
        Some(_) => format!("{LABEL_MARK}{}{LABEL_MARK}", plain_label(trace, number)),
        None => format!("trace {number}"),
    }
}

/// A trace as a learner reads it, by what started it: `the 404 request `GET
/// /distance/atlantis``; a trace a message started (a queue's job, whose consumer span is
/// its root), by that span: ``process jobs` (consumer), for a message sent during the 200
/// request `GET /x``; or `trace 3`.
fn plain_label(trace: &Trace, number: usize) -> String {
    let Some(line) = &trace.request else { return format!("trace {number}") };
    let request = match line.rsplit_once(" -> ") {
        Some((request, status)) if status.bytes().all(|b| b.is_ascii_digit()) => {
            format!("the {status} request `{request}`")
        }
        Some((request, outcome)) => format!("the request `{request}` ({outcome})"),
        None => format!("the request `{line}`"),
    };
    match trace.spans.first() {
        Some(root) if started_by_a_message(trace) => {
            format!("`{}` ({}), for a message sent during {request}", root.name, root.kind)
        }
        _ => request,
    }
}

/// Whether a trace was started by a message the service received (its root is a consumer
/// span: a queue's job), not by the request during which it began.
fn started_by_a_message(trace: &Trace) -> bool {
    trace.spans.first().is_some_and(|root| root.kind == telemetry_document::SpanKind::Consumer)
}

/// Moves the trace named inside span paths (`` `<trace> > GET /x` ``) to the end of the
/// line, `... (in the trace of the 404 request `GET /x`)`, or next to each path when a
/// line names several traces.
fn name_traces(diff: Difference) -> Difference {
    let mut labels: Vec<String> = Vec::new();
    let mut rest = diff.text.as_str();
    let mut bare = String::new();
    while let Some(start) = rest.find(LABEL_MARK) {
        let after = &rest[start + LABEL_MARK.len_utf8()..];
        let Some(end) = after.find(LABEL_MARK) else { break };
        labels.push(after[..end].to_string());
        bare.push_str(&rest[..start]);
        rest =
            after[end + LABEL_MARK.len_utf8()..].strip_prefix(" > ").unwrap_or(&after[end + LABEL_MARK.len_utf8()..]);
    }
    bare.push_str(rest);
    if labels.is_empty() {
        return diff;
    }
    labels.dedup();
    let text = if labels.len() == 1 {
        format!("{bare} (in the trace of {})", labels[0])
    } else {
        // Several traces in one line: name each where it is.
        let mut inline = diff.text.clone();
        for label in &labels {
            inline = inline.replace(&format!("{LABEL_MARK}{label}{LABEL_MARK} > "), "");
        }
        format!("{inline} (in the traces of {})", labels.join(" and "))
    };
    Difference { text, ..diff }
}

/// One line for a difference that repeats in several traces: "span `GET /x`: attribute
/// `a` is missing (in traces 2, 3, 4)" instead of three lines that differ by a number.
fn group_by_trace(diffs: Vec<Difference>) -> Vec<Difference> {
    // (the first difference as written, the text without its trace, the trace numbers)
    let mut grouped: Vec<(Difference, Option<String>, Vec<u32>)> = Vec::new();
    for diff in diffs {
        if let Some((general, label)) = diff.text.rsplit_once(" (in the trace of ")
            && let Some(label) = label.strip_suffix(')')
        {
            let general = format!("{general}\u{0}");
            match grouped.iter_mut().find(|(d, g, _)| d.signal == diff.signal && g.as_deref() == Some(general.as_str()))
            {
                Some((first, _, _)) => {
                    first.text = match first.text.strip_suffix(')') {
                        Some(open) => {
                            format!("{open}, {label})").replacen(" (in the trace of ", " (in the traces of ", 1)
                        }
                        None => first.text.clone(),
                    }
                }
                None => grouped.push((diff.clone(), Some(general), vec![])),
            }
            continue;
        }
        match single_trace_ref(&diff.text) {
            Some((number, general)) => {
                let same = grouped
                    .iter_mut()
                    .find(|(d, g, _)| d.signal == diff.signal && g.as_deref() == Some(general.as_str()));
                match same {
                    Some((_, _, numbers)) => numbers.push(number),
                    None => grouped.push((diff, Some(general), vec![number])),
                }
            }
            None => grouped.push((diff, None, vec![])),
        }
    }
    grouped
        .into_iter()
        .map(|(first, general, numbers)| match general {
            Some(general) if numbers.len() > 1 => {
                let list: Vec<String> = numbers.iter().map(u32::to_string).collect();
                Difference { text: format!("{general} (in traces {})", list.join(", ")), ..first }
            }
            _ => first,
        })
        .collect()
}

/// The trace number of a text that names exactly one span path, and the text without it.
fn single_trace_ref(text: &str) -> Option<(u32, String)> {
    const MARK: &str = "`trace ";
    let start = text.find(MARK)?;
    if text[start + 1..].contains(MARK) {
        return None;
    }
    let rest = &text[start + MARK.len()..];
    let digits = rest.find(|c: char| !c.is_ascii_digit())?;
    let number = rest[..digits].parse().ok()?;
    let after = rest[digits..].strip_prefix(" > ")?;
    Some((number, format!("{}`{after}", &text[..start])))
}

#[derive(Default)]
struct Diffs(Vec<Difference>);

impl Diffs {
    fn add(&mut self, signal: Signal, kind: Kind, text: impl Into<String>) {
        self.0.push(Difference { signal, kind, text: text.into() });
    }
}

fn requests(out: &mut Diffs, expected: &[String], actual: &[String]) {
    for (e, a) in expected.iter().zip(actual) {
        if e != a {
            let (request, want) = e.rsplit_once(" -> ").unwrap_or((e, "?"));
            let got = a.rsplit_once(" -> ").map(|(_, s)| s).unwrap_or(a);
            // A request to the position service itself tests its router, not the handlers.
            let why = if request.ends_with("(on the position service)") {
                "The position service must serve the lab's own router, wrapped, not one of its own."
            } else {
                "Instrumentation must never change what the caller receives."
            };
            out.add(Signal::Requests, Kind::Answer, format!("`{request}` answered {got}; expected {want}. {why}"));
        }
    }
    if expected.len() != actual.len() {
        out.add(
            Signal::Requests,
            Kind::RequestCount,
            format!("the scenario made {} requests; expected {}", actual.len(), expected.len()),
        );
    }
}

/// Missing, mistyped, wrong and unexpected attributes.
fn attributes(out: &mut Diffs, signal: Signal, what: &str, expected: &Attributes, actual: &Attributes) {
    for (key, want) in expected {
        match actual.get(key) {
            None => out.add(
                signal,
                Kind::AttributeMissing,
                format!("{what} `{key}` is missing (expected {want}, of type {})", want.type_name()),
            ),
            Some(got) if got.type_name() != want.type_name() => out.add(
                signal,
                Kind::AttributeType,
                format!(
                    "{what} `{key}` has type {} ({got}); expected type {} ({want})",
                    got.type_name(),
                    want.type_name()
                ),
            ),
            Some(got) if got != want => {
                out.add(signal, Kind::AttributeValue, format!("{what} `{key}` is {got}; expected {want}"))
            }
            Some(_) => {}
        }
    }
    for (key, got) in actual {
        if !expected.contains_key(key) {
            out.add(signal, Kind::AttributeUnexpected, format!("{what} `{key}` = {got} is not expected"));
        }
    }
}

fn show_attributes(attributes: &Attributes) -> String {
    if attributes.is_empty() {
        return "{no attributes}".into();
    }
    let inner: Vec<String> = attributes.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", inner.join(", "))
}

#[cfg(test)]
mod tests;
