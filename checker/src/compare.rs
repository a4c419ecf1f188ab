//! Comparison: what differs between the expected telemetry (the snapshot) and what an
//! exercise emitted, one line per difference, in a learner's words, grouped by signal.
//!
//! Traces are matched by the names of their root spans (in order), spans by their name
//! and position inside the trace, metrics by name, data points by attributes, and log
//! records by severity and body (in order). A span found at the wrong place is reported
//! once, as misplaced, not as one missing and one unexpected span.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use similar::{Algorithm, DiffOp, capture_diff_slices};
use telemetry_document::{Attributes, DataPoint, Document, LogRecord, Metric, Span, Trace, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    Requests,
    Resource,
    Traces,
    Metrics,
    Logs,
}

impl Signal {
    pub fn title(self) -> &'static str {
        match self {
            Signal::Requests => "Responses",
            Signal::Resource => "Resource",
            Signal::Traces => "Traces",
            Signal::Metrics => "Metrics",
            Signal::Logs => "Logs",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    pub signal: Signal,
    pub text: String,
}

/// Every difference, in signal order. Empty exactly when the documents are equal.
pub fn differences(expected: &Document, actual: &Document) -> Vec<Difference> {
    let mut out = Diffs::default();
    requests(&mut out, &expected.requests, &actual.requests);
    resource(&mut out, &expected.resource, &actual.resource);
    // One pairing of traces for everything that names a span by its path.
    let pairing = pair_traces(&expected.traces, &actual.traces);
    let renumber = Renumber::new(&pairing.0, actual.traces.len());
    traces(&mut out, &expected.traces, &actual.traces, &pairing, &renumber);
    metrics(&mut out, &expected.metrics, &actual.metrics);
    logs(&mut out, &expected.logs, &actual.logs, &renumber);
    let mut diffs = group_by_trace(out.0);
    if diffs.is_empty() && expected != actual {
        // A difference the rules above do not describe (for instance, order only).
        diffs.push(Difference {
            signal: Signal::Traces,
            text: "the telemetry differs from the expected in order only; see the raw diff (--verbose)".into(),
        });
    }
    diffs
}

/// One line for a difference that repeats in several traces: "span `GET /x`: attribute
/// `a` is missing (in traces 2, 3, 4)" instead of three lines that differ by a number.
fn group_by_trace(diffs: Vec<Difference>) -> Vec<Difference> {
    // (the first difference as written, the text without its trace, the trace numbers)
    let mut grouped: Vec<(Difference, Option<String>, Vec<u32>)> = Vec::new();
    for diff in diffs {
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
                Difference { signal: first.signal, text: format!("{general} (in traces {})", list.join(", ")) }
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
    fn add(&mut self, signal: Signal, text: impl Into<String>) {
        self.0.push(Difference { signal, text: text.into() });
    }
}

fn requests(out: &mut Diffs, expected: &[String], actual: &[String]) {
    for (e, a) in expected.iter().zip(actual) {
        if e != a {
            let (request, want) = e.rsplit_once(" -> ").unwrap_or((e, "?"));
            let got = a.rsplit_once(" -> ").map(|(_, s)| s).unwrap_or(a);
            out.add(
                Signal::Requests,
                format!("`{request}` answered {got}; expected {want}. Instrumentation must never change what the caller receives."),
            );
        }
    }
    if expected.len() != actual.len() {
        out.add(Signal::Requests, format!("the scenario made {} requests; expected {}", actual.len(), expected.len()));
    }
}

fn resource(out: &mut Diffs, expected: &Attributes, actual: &Attributes) {
    if actual.is_empty() && !expected.is_empty() {
        out.add(
            Signal::Resource,
            "no resource reached the exporter: give the provider your resource (`.with_resource(...)`) and an exporter",
        );
        return;
    }
    attributes(out, Signal::Resource, "resource attribute", expected, actual);
}

/// Missing, mistyped, wrong and unexpected attributes.
fn attributes(out: &mut Diffs, signal: Signal, what: &str, expected: &Attributes, actual: &Attributes) {
    for (key, want) in expected {
        match actual.get(key) {
            None => {
                out.add(signal, format!("{what} `{key}` is missing (expected {want}, of type {})", want.type_name()))
            }
            Some(got) if got.type_name() != want.type_name() => out.add(
                signal,
                format!(
                    "{what} `{key}` has type {} ({got}); expected type {} ({want})",
                    got.type_name(),
                    want.type_name()
                ),
            ),
            Some(got) if got != want => out.add(signal, format!("{what} `{key}` is {got}; expected {want}")),
            Some(_) => {}
        }
    }
    for (key, got) in actual {
        if !expected.contains_key(key) {
            out.add(signal, format!("{what} `{key}` = {got} is not expected"));
        }
    }
}

/// A span with where it is: `trace 2 > GET /x > child` (full) and `GET /x > child` (in-trace).
struct Placed<'a> {
    full: String,
    within: String,
    span: &'a Span,
}

fn placed(trace: &Trace, number: usize) -> Vec<Placed<'_>> {
    fn walk<'a>(prefix: &str, spans: &'a [Span], out: &mut Vec<Placed<'a>>, trace_label: &str) {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for span in spans {
            let nth = seen.entry(&span.name).or_default();
            *nth += 1;
            let name = if *nth > 1 { format!("{}[{nth}]", span.name) } else { span.name.clone() };
            let within = if prefix.is_empty() { name } else { format!("{prefix} > {name}") };
            out.push(Placed { full: format!("{trace_label} > {within}"), within: within.clone(), span });
            walk(&within, &span.children, out, trace_label);
        }
    }
    let mut out = Vec::new();
    walk("", &trace.spans, &mut out, &format!("trace {number}"));
    out
}

fn root_names(trace: &Trace) -> String {
    trace.spans.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(" + ")
}

/// Expected and emitted trace indices paired, then the unpaired on each side.
type Pairing = (Vec<(usize, usize)>, Vec<usize>, Vec<usize>);

/// Emitted span paths (`trace 4 > GET /x`) in the expected traces' numbers, through the
/// pairing: one trace more or less must not make every later reference to a span (a log
/// record's correlation, a link) differ. Only for comparing; learners see their own paths.
struct Renumber(std::collections::HashMap<usize, String>);

impl Renumber {
    fn new(pairs: &[(usize, usize)], emitted: usize) -> Self {
        let mut map: std::collections::HashMap<usize, String> =
            // An unpaired emitted trace gets a name no expected path has.
            (1..=emitted).map(|n| (n, format!("emitted trace {n}"))).collect();
        for &(e, a) in pairs {
            map.insert(a + 1, format!("trace {}", e + 1));
        }
        Renumber(map)
    }

    fn path(&self, path: &str) -> String {
        let Some(rest) = path.strip_prefix("trace ") else { return path.to_string() };
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        match rest[..digits].parse().ok().and_then(|n: usize| self.0.get(&n)) {
            Some(trace) => format!("{trace}{}", &rest[digits..]),
            None => path.to_string(),
        }
    }
}

fn traces(out: &mut Diffs, expected: &[Trace], actual: &[Trace], pairing: &Pairing, renumber: &Renumber) {
    if actual.is_empty() && !expected.is_empty() {
        out.add(
            Signal::Traces,
            "no spans were exported. Usually the tracer provider has no exporter (`.with_simple_exporter(edge.spans)`), \
             or a batch processor was never flushed (the service must shut its providers down on the way out), or \
             the spans come from a tracer of another provider, or they were never ended.",
        );
        return;
    }
    let (pairs, missing_traces, extra_traces) = pairing.clone();
    trace_count(out, expected, actual, &missing_traces, &extra_traces);

    // Spans missing from matched traces, and spans nobody expected, to pair up by name.
    let mut missing: Vec<Placed> = Vec::new();
    let mut extra: Vec<Placed> = Vec::new();
    for (ei, ai) in pairs {
        let e_spans = placed(&expected[ei], ei + 1);
        let a_spans = placed(&actual[ai], ai + 1);
        for e in &e_spans {
            match a_spans.iter().find(|a| a.within == e.within) {
                Some(a) => span(out, &e.full, e.span, a.span, renumber),
                None => missing.push(Placed { full: e.full.clone(), within: e.within.clone(), span: e.span }),
            }
        }
        for a in a_spans {
            if !e_spans.iter().any(|e| e.within == a.within) {
                extra.push(a);
            }
        }
    }
    for i in missing_traces {
        missing.extend(placed(&expected[i], i + 1));
    }
    for i in extra_traces {
        extra.extend(placed(&actual[i], i + 1));
    }
    report_unpaired(out, missing, extra, renumber);
}

/// What identifies a trace when pairing: its roots and everything below them.
fn content(trace: &Trace) -> String {
    fn strip(spans: &[Span]) -> Vec<Span> {
        spans.iter().map(|s| Span { timing: None, children: strip(&s.children), ..s.clone() }).collect()
    }
    serde_json::to_string(&strip(&trace.spans)).unwrap_or_default()
}

/// Pairs expected and emitted traces: first those that are identical (in order), then,
/// among the rest, those whose roots have the same names (in order). Identical traces
/// first, so that when some traces are missing (sampled out, say) the others still meet
/// their own counterparts. Returns the pairs and the unpaired on each side.
fn pair_traces(expected: &[Trace], actual: &[Trace]) -> Pairing {
    let mut pairs = Vec::new();
    let e_content: Vec<String> = expected.iter().map(content).collect();
    let a_content: Vec<String> = actual.iter().map(content).collect();
    for op in capture_diff_slices(Algorithm::Myers, &e_content, &a_content) {
        if let DiffOp::Equal { old_index, new_index, len } = op {
            pairs.extend((0..len).map(|i| (old_index + i, new_index + i)));
        }
    }
    let e_left: Vec<usize> = (0..expected.len()).filter(|i| !pairs.iter().any(|p| p.0 == *i)).collect();
    let a_left: Vec<usize> = (0..actual.len()).filter(|i| !pairs.iter().any(|p| p.1 == *i)).collect();
    let e_roots: Vec<String> = e_left.iter().map(|&i| root_names(&expected[i])).collect();
    let a_roots: Vec<String> = a_left.iter().map(|&i| root_names(&actual[i])).collect();
    let mut missing_traces = Vec::new();
    let mut extra_traces = Vec::new();
    for op in capture_diff_slices(Algorithm::Myers, &e_roots, &a_roots) {
        match op {
            DiffOp::Equal { old_index, new_index, len } => {
                pairs.extend((0..len).map(|i| (e_left[old_index + i], a_left[new_index + i])));
            }
            DiffOp::Delete { old_index, old_len, .. } => missing_traces.extend(&e_left[old_index..old_index + old_len]),
            DiffOp::Insert { new_index, new_len, .. } => extra_traces.extend(&a_left[new_index..new_index + new_len]),
            DiffOp::Replace { old_index, old_len, new_index, new_len } => {
                let both = old_len.min(new_len);
                pairs.extend((0..both).map(|i| (e_left[old_index + i], a_left[new_index + i])));
                missing_traces.extend(&e_left[old_index + both..old_index + old_len]);
                extra_traces.extend(&a_left[new_index + both..new_index + new_len]);
            }
        }
    }

    pairs.sort_unstable();
    (pairs, missing_traces, extra_traces)
}

/// The names of every span below `span`.
fn placed_children(span: &Span) -> Vec<&str> {
    span.children.iter().flat_map(|c| std::iter::once(c.name.as_str()).chain(placed_children(c))).collect()
}

/// Whole traces missing, or whole traces kept that the snapshot does not have: what a
/// sampler (or an unflushed batch processor) does. Not said when the surplus traces are
/// orphaned spans (their roots sit below a parent in the snapshot): that is a parent problem.
fn trace_count(out: &mut Diffs, expected: &[Trace], actual: &[Trace], missing: &[usize], extra: &[usize]) {
    let (want, got) = (expected.len(), actual.len());
    if !extra.is_empty() && missing.is_empty() {
        // An orphan is a span the snapshot has below a parent; a kept trace is not.
        let below: Vec<&str> =
            expected.iter().flat_map(|t| t.spans.iter().flat_map(|root| placed_children(root))).collect();
        if extra.iter().all(|&i| actual[i].spans.iter().all(|root| !below.contains(&root.name.as_str()))) {
            out.add(
                Signal::Traces,
                format!(
                    "{got} traces were exported; expected {want}: traces that should have been dropped were kept. \
                     Usually the sampler is missing or keeps more than it should (check its kind and ratio)."
                ),
            );
        }
    } else if extra.is_empty() && !missing.is_empty() {
        out.add(
            Signal::Traces,
            format!(
                "{got} traces were exported; expected {want}: whole traces are missing. Usually a sampler dropped them \
                 (check its kind and ratio), or a batch processor was not flushed on the way out."
            ),
        );
    }
}

/// Spans left unpaired: misplaced (same name elsewhere), renamed (same place and kind), or
/// missing and unexpected.
fn report_unpaired(out: &mut Diffs, missing: Vec<Placed>, mut extra: Vec<Placed>, renumber: &Renumber) {
    let parent_of = |p: &Placed| p.within.rsplit_once(" > ").map(|(parent, _)| parent.to_string());
    for m in missing {
        if let Some(pos) = extra.iter().position(|x| x.span.name == m.span.name) {
            let x = extra.remove(pos);
            out.add(Signal::Traces, misplaced(&m, &x));
            span(out, &m.full, m.span, x.span, renumber);
        } else if let Some(pos) = extra.iter().position(|x| x.span.kind == m.span.kind && parent_of(x) == parent_of(&m))
        {
            // Same place in the tree, same kind, another name: a renamed span.
            let x = extra.remove(pos);
            out.add(
                Signal::Traces,
                format!("span `{}` is named `{}`; expected `{}`", x.full, x.span.name, m.span.name),
            );
            span(out, &m.full, m.span, x.span, renumber);
        } else {
            out.add(Signal::Traces, format!("span `{}` ({}) is missing", m.full, m.span.kind));
        }
    }
    for x in extra {
        out.add(Signal::Traces, format!("span `{}` ({}) is not expected", x.full, x.span.kind));
    }
}

fn misplaced(expected: &Placed, actual: &Placed) -> String {
    let is_root_now = !actual.within.contains(" > ");
    let should_have_parent = expected.within.contains(" > ");
    if is_root_now && should_have_parent {
        let parent = expected.full.rsplit_once(" > ").map(|(p, _)| p).unwrap_or(&expected.full);
        let how = if expected.span.parent == Some(telemetry_document::ParentLink::Remote) {
            // Its parent is in the calling service: only the request's headers can carry it.
            "Its parent is in the calling service: the caller must inject the context into the request's headers \
             (W3C `traceparent`), and this service extract it and start the span with it as parent."
        } else {
            "Start it inside its parent's context (across an `.await`, pass the context with `.with_context(cx)`)."
        };
        format!(
            "span `{}` has no parent: it is the root of its own trace (`{}`); expected it under `{parent}`. {how}",
            expected.span.name, actual.full
        )
    } else {
        format!("span `{}` is at `{}`; expected it at `{}`", expected.span.name, actual.full, expected.full)
    }
}

fn span(out: &mut Diffs, path: &str, e: &Span, a: &Span, renumber: &Renumber) {
    let t = Signal::Traces;
    if e.kind != a.kind {
        out.add(t, format!("span `{path}` has kind {}; expected {}", a.kind, e.kind));
    }
    if e.scope != a.scope {
        out.add(t, format!("span `{path}` comes from the tracer scope `{}`; expected `{}`", a.scope, e.scope));
    }
    if e.service != a.service {
        let say = |s: &Option<String>| match s {
            Some(name) => format!("the service `{name}`"),
            None => "the main service (the resource's `service.name`)".into(),
        };
        out.add(
            t,
            format!(
                "span `{path}` was exported by {}; expected {}. Each service needs its own tracer provider with its own \
                 resource and exporter.",
                say(&a.service),
                say(&e.service)
            ),
        );
    }
    if e.parent != a.parent {
        let say = |p: &Option<telemetry_document::ParentLink>| match p {
            None => "no parent outside this service",
            Some(telemetry_document::ParentLink::Remote) => "a remote parent (context from another service)",
            Some(telemetry_document::ParentLink::Missing) => "a parent span that was never exported",
        };
        out.add(t, format!("span `{path}` has {}; expected {}", say(&a.parent), say(&e.parent)));
    }
    if e.status != a.status {
        out.add(t, format!("span `{path}` has status {}; expected {}", a.status, e.status));
    }
    attributes(out, t, &format!("span `{path}`: attribute"), &e.attributes, &a.attributes);
    let a_events: Vec<&str> = a.events.iter().map(|ev| ev.name.as_str()).collect();
    let e_events: Vec<&str> = e.events.iter().map(|ev| ev.name.as_str()).collect();
    if a_events != e_events {
        for name in e_events.iter().filter(|n| !a_events.contains(n)) {
            out.add(t, format!("span `{path}` has no event `{name}`"));
        }
        for name in a_events.iter().filter(|n| !e_events.contains(n)) {
            out.add(t, format!("span `{path}`: event `{name}` is not expected"));
        }
        if e_events.iter().all(|n| a_events.contains(n)) && a_events.iter().all(|n| e_events.contains(n)) {
            out.add(t, format!("span `{path}` has its events in the order {a_events:?}; expected {e_events:?}"));
        }
    }
    for ev in &e.events {
        if let Some(got) = a.events.iter().find(|g| g.name == ev.name) {
            attributes(
                out,
                t,
                &format!("span `{path}`, event `{}`: attribute", ev.name),
                &ev.attributes,
                &got.attributes,
            );
        }
    }
    if e.links != a.links.iter().map(|l| renumber.path(l)).collect::<Vec<_>>() {
        out.add(t, format!("span `{path}` links to {:?}; expected {:?}", a.links, e.links));
    }
}

fn metrics(out: &mut Diffs, expected: &[Metric], actual: &[Metric]) {
    let m = Signal::Metrics;
    if actual.is_empty() && !expected.is_empty() {
        out.add(
            m,
            "no metrics were exported. Usually no instrument recorded anything (an instrument that is created but \
             never used exports nothing), or the meter provider was never shut down on the way out (its reader \
             exports every 60 s, and when shut down), or it has no reader (`PeriodicReader::builder(edge.metrics)`), \
             is not handed to `Telemetry::with_meter_provider`, or the instruments come from another provider.",
        );
        return;
    }
    for e in expected {
        let Some(a) = actual.iter().find(|a| a.name == e.name) else {
            out.add(m, format!("metric `{}` ({}) is missing", e.name, e.kind));
            continue;
        };
        let name = &e.name;
        if e.kind != a.kind {
            out.add(m, format!("metric `{name}` is a {}; expected a {}", a.kind, e.kind));
        }
        if e.unit != a.unit {
            out.add(m, format!("metric `{name}` has unit `{}`; expected `{}`", a.unit, e.unit));
        }
        if e.description != a.description {
            out.add(m, format!("metric `{name}` has description {:?}; expected {:?}", a.description, e.description));
        }
        if e.scope != a.scope {
            out.add(m, format!("metric `{name}` comes from the meter scope `{}`; expected `{}`", a.scope, e.scope));
        }
        points(out, name, &e.points, &a.points);
    }
    for a in actual {
        if !expected.iter().any(|e| e.name == a.name) {
            out.add(m, format!("metric `{}` ({}) is not expected", a.name, a.kind));
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

/// A histogram point's bucket boundaries.
type Bounds = Option<Vec<f64>>;

/// The boundaries the SDK uses when none are given: made for milliseconds.
const SDK_DEFAULT_BOUNDS: &[f64] =
    &[0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0, 5000.0, 7500.0, 10000.0];

/// Same keys, and values that read the same once printed without quotes: the same data
/// point with attributes of the wrong type.
fn same_but_types(a: &Attributes, b: &Attributes) -> bool {
    let plain = |v: &Value| v.to_string().trim_matches('"').to_string();
    a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| plain(v) == plain(w)))
}

fn points(out: &mut Diffs, name: &str, expected: &[DataPoint], actual: &[DataPoint]) {
    let m = Signal::Metrics;
    let mut paired = vec![false; actual.len()];
    // (emitted, expected), once per instrument.
    let mut wrong_bounds: Option<(Bounds, Bounds)> = None;
    for e in expected {
        let attrs = show_attributes(&e.attributes);
        let found = actual.iter().position(|a| a.attributes == e.attributes);
        let Some(index) = found.or_else(|| {
            // The same point with an attribute of another type: say so once, then compare it.
            let i = actual
                .iter()
                .enumerate()
                .position(|(i, a)| !paired[i] && same_but_types(&e.attributes, &a.attributes))?;
            for (key, want) in &e.attributes {
                let got = &actual[i].attributes[key];
                if got.type_name() != want.type_name() {
                    out.add(
                        m,
                        format!(
                            "metric `{name}`: attribute `{key}` has type {} ({got}); expected type {} ({want})",
                            got.type_name(),
                            want.type_name()
                        ),
                    );
                }
            }
            Some(i)
        }) else {
            out.add(m, format!("metric `{name}` has no data point with {attrs}"));
            continue;
        };
        paired[index] = true;
        let a = &actual[index];
        let show =
            |v: &Option<Value>| v.as_ref().map(|v| format!("{v} ({})", v.type_name())).unwrap_or("nothing".into());
        if e.value != a.value {
            out.add(m, format!("metric `{name}` {attrs}: value is {}; expected {}", show(&a.value), show(&e.value)));
        }
        if e.count != a.count {
            out.add(
                m,
                format!(
                    "metric `{name}` {attrs}: count is {}; expected {}",
                    a.count.unwrap_or(0),
                    e.count.unwrap_or(0)
                ),
            );
        }
        if e.bounds != a.bounds {
            wrong_bounds = Some((a.bounds.clone(), e.bounds.clone()));
        }
    }
    // Boundaries are per instrument: one line, however many points.
    if let Some((got, want)) = wrong_bounds {
        let list = |b: &Option<Vec<f64>>| match b {
            Some(b) => format!("{b:?}"),
            None => "none".into(),
        };
        let mut text = format!("metric `{name}` has bucket boundaries {}; expected {}", list(&got), list(&want));
        if got.as_deref() == Some(SDK_DEFAULT_BOUNDS) {
            text.push_str(
                ". Those are the SDK's defaults, made for milliseconds: give the histogram its boundaries in seconds \
                 with `.with_boundaries(vec![...])`",
            );
        }
        out.add(m, text);
    }
    for (a, was_paired) in actual.iter().zip(paired) {
        if !was_paired && !expected.iter().any(|e| e.attributes == a.attributes) {
            out.add(m, format!("metric `{name}` has an unexpected data point with {}", show_attributes(&a.attributes)));
        }
    }
}

fn log_label(record: &LogRecord) -> String {
    let body = record.body.as_ref().map(|b| b.to_string()).unwrap_or_else(|| "(no body)".into());
    format!("{} {body}", record.severity.as_deref().unwrap_or("(no severity)"))
}

fn logs(out: &mut Diffs, expected: &[LogRecord], actual: &[LogRecord], renumber: &Renumber) {
    let l = Signal::Logs;
    if actual.is_empty() && !expected.is_empty() {
        out.add(
            l,
            "no log records were exported. Usually the logger provider has no exporter, is not handed to \
             `Telemetry::with_logger_provider`, or no bridge (appender) forwards tracing/log records to it.",
        );
        return;
    }
    let e_labels: Vec<String> = expected.iter().map(log_label).collect();
    let a_labels: Vec<String> = actual.iter().map(log_label).collect();
    for op in capture_diff_slices(Algorithm::Myers, &e_labels, &a_labels) {
        match op {
            DiffOp::Equal { old_index, new_index, len } => {
                for i in 0..len {
                    log_record(
                        out,
                        &e_labels[old_index + i],
                        &expected[old_index + i],
                        &actual[new_index + i],
                        renumber,
                    );
                }
            }
            DiffOp::Delete { old_index, old_len, .. } => {
                for label in &e_labels[old_index..old_index + old_len] {
                    out.add(l, format!("log record `{label}` is missing"));
                }
            }
            DiffOp::Insert { new_index, new_len, .. } => {
                for label in &a_labels[new_index..new_index + new_len] {
                    out.add(l, format!("log record `{label}` is not expected"));
                }
            }
            DiffOp::Replace { old_index, old_len, new_index, new_len } => {
                let mut extra: Vec<usize> = (new_index..new_index + new_len).collect();
                for ei in old_index..old_index + old_len {
                    // Same body, another severity: the same record at the wrong level.
                    match extra.iter().position(|&ai| actual[ai].body == expected[ei].body) {
                        Some(pos) => {
                            let ai = extra.remove(pos);
                            let show = |s: &Option<String>| s.clone().unwrap_or_else(|| "no severity".into());
                            out.add(
                                l,
                                format!(
                                    "log record `{}` has severity {}; expected {}",
                                    e_labels[ei],
                                    show(&actual[ai].severity),
                                    show(&expected[ei].severity)
                                ),
                            );
                            log_record(out, &e_labels[ei], &expected[ei], &actual[ai], renumber);
                        }
                        None => out.add(l, format!("log record `{}` is missing", e_labels[ei])),
                    }
                }
                for ai in extra {
                    out.add(l, format!("log record `{}` is not expected", a_labels[ai]));
                }
            }
        }
    }
}

fn log_record(out: &mut Diffs, label: &str, e: &LogRecord, a: &LogRecord, renumber: &Renumber) {
    let l = Signal::Logs;
    if e.span != a.span.as_deref().map(|p| renumber.path(p)) {
        // Learners see their own path; one in a trace the snapshot lacks is said to be so.
        let got = a.span.as_deref().map(|p| {
            if renumber.path(p).starts_with("emitted ") {
                format!("`{p}` (a trace the expected telemetry does not have)")
            } else {
                format!("`{p}`")
            }
        });
        let text = match (&e.span, &got) {
            (Some(want), None) => format!(
                "log record `{label}` carries no trace context; expected the ids of `{want}` (emit it while that span is active)"
            ),
            (None, Some(got)) => format!("log record `{label}` carries the ids of {got}; expected no trace context"),
            (Some(want), Some(got)) => format!("log record `{label}` carries the ids of {got}; expected `{want}`"),
            (None, None) => unreachable!("equal spans are not reported"),
        };
        out.add(l, text);
    }
    if e.scope != a.scope {
        out.add(l, format!("log record `{label}` comes from the logger scope `{}`; expected `{}`", a.scope, e.scope));
    }
    attributes(out, l, &format!("log record `{label}`: attribute"), &e.attributes, &a.attributes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use telemetry_document::{Event, MetricKind, ParentLink, Scope, SpanKind, Status};

    fn span(name: &str, kind: SpanKind, children: Vec<Span>) -> Span {
        let scope = Scope { name: "iss-distance".into(), version: Some("0.1.0".into()) };
        Span { scope, children, ..Span::new(name, kind) }
    }

    /// A server span with a client child, as most exercises expect.
    fn request() -> Span {
        let mut server = span("GET /distance/{place}", SpanKind::Server, vec![span("GET", SpanKind::Client, vec![])]);
        server.attributes.insert("app.place".into(), Value::String("paris".into()));
        server.events.push(Event { name: "place.resolved".into(), attributes: Attributes::new() });
        server
    }

    fn traces(spans: Vec<Span>) -> Document {
        Document { traces: spans.into_iter().map(|s| Trace { spans: vec![s] }).collect(), ..Document::default() }
    }

    fn texts(expected: &Document, actual: &Document) -> Vec<String> {
        differences(expected, actual).into_iter().map(|d| d.text).collect()
    }

    fn one(expected: &Document, actual: &Document) -> String {
        let t = texts(expected, actual);
        assert_eq!(t.len(), 1, "expected exactly one difference: {t:#?}");
        t[0].clone()
    }

    #[test]
    fn equal_documents_have_no_differences() {
        assert!(texts(&traces(vec![request()]), &traces(vec![request()])).is_empty());
    }

    #[test]
    fn missing_and_unexpected_spans() {
        let mut without_child = request();
        without_child.children.clear();
        assert_eq!(
            one(&traces(vec![request()]), &traces(vec![without_child])),
            "span `trace 1 > GET /distance/{place} > GET` (client) is missing"
        );
        let mut extra = request();
        extra.children.push(span("cache", SpanKind::Internal, vec![]));
        assert_eq!(
            one(&traces(vec![request()]), &traces(vec![extra])),
            "span `trace 1 > GET /distance/{place} > cache` (internal) is not expected"
        );
    }

    #[test]
    fn the_same_difference_in_several_traces_is_one_line() {
        let mut bare = request();
        bare.attributes.clear();
        let t = texts(&traces(vec![request(), request(), request()]), &traces(vec![bare.clone(), bare.clone(), bare]));
        assert_eq!(
            t,
            [
                "span `GET /distance/{place}`: attribute `app.place` is missing (expected \"paris\", of type string) (in traces 1, 2, 3)"
            ]
        );
        let mut one_bare = request();
        one_bare.attributes.clear();
        let single = texts(&traces(vec![request(), request()]), &traces(vec![request(), one_bare]));
        assert_eq!(
            single,
            [
                "span `trace 2 > GET /distance/{place}`: attribute `app.place` is missing (expected \"paris\", of type string)"
            ]
        );
    }

    #[test]
    fn sampled_out_traces_do_not_shift_the_others() {
        let at = |place: &str| {
            let mut s = request();
            s.attributes.insert("app.place".into(), Value::String(place.into()));
            s
        };
        let expected = traces(vec![at("paris"), at("lima"), at("tokyo")]);
        let actual = traces(vec![at("paris"), at("tokyo")]);
        let t = texts(&expected, &actual);
        assert!(t[0].starts_with("2 traces were exported; expected 3: whole traces are missing"), "{t:?}");
        assert!(t.iter().all(|l| !l.contains("is \"tokyo\"; expected")), "tokyo meets tokyo, not lima: {t:?}");
        let kept_too_many = texts(&actual, &expected);
        assert!(kept_too_many[0].contains("traces that should have been dropped were kept"), "{kept_too_many:?}");
    }

    #[test]
    fn an_extra_trace_does_not_shift_every_log_record() {
        // The emitted side has an orphan trace first: every later trace number moves by one.
        let mut orphan = request();
        orphan.name = "orphan".into();
        orphan.children.clear();
        let log_in =
            |trace: usize| log("INFO", "resolved paris", Some(&format!("trace {trace} > GET /distance/{{place}}")));
        let expected = Document { logs: vec![log_in(1)], ..traces(vec![request()]) };
        let actual = Document { logs: vec![log_in(2)], ..traces(vec![orphan, request()]) };
        let t = texts(&expected, &actual);
        assert!(t.iter().all(|l| !l.starts_with("log record")), "the record sits in its span: {t:?}");
        let wrong = Document { logs: vec![log_in(1)], ..actual };
        assert!(
            texts(&expected, &wrong).iter().any(|l| l.contains(
                "carries the ids of `trace 1 > GET /distance/{place}` (a trace the expected telemetry does not have)"
            )),
            "a record in the unpaired trace still differs"
        );
    }

    #[test]
    fn a_renamed_span_is_one_difference() {
        let mut renamed = request();
        renamed.children[0].name = "fetch".into();
        assert_eq!(
            one(&traces(vec![request()]), &traces(vec![renamed])),
            "span `trace 1 > GET /distance/{place} > fetch` is named `fetch`; expected `GET`"
        );
    }

    #[test]
    fn a_span_without_its_parent_is_reported_as_misplaced() {
        let mut orphaned = request();
        let child = orphaned.children.remove(0);
        let text = one(&traces(vec![request()]), &traces(vec![orphaned, child]));
        assert!(
            text.starts_with("span `GET` has no parent: it is the root of its own trace (`trace 2 > GET`)"),
            "{text}"
        );
        assert!(text.contains("with_context(cx)"), "{text}");
    }

    #[test]
    fn kind_status_scope_and_parent_link() {
        let mut wrong = request();
        wrong.kind = SpanKind::Internal;
        assert_eq!(
            one(&traces(vec![request()]), &traces(vec![wrong])),
            "span `trace 1 > GET /distance/{place}` has kind internal; expected server"
        );
        let mut errored = request();
        errored.status = Status::Error { description: "unknown place".into() };
        assert_eq!(
            one(&traces(vec![errored]), &traces(vec![request()])),
            "span `trace 1 > GET /distance/{place}` has status Unset; expected Error (\"unknown place\")"
        );
        let mut scoped = request();
        scoped.scope.version = None;
        assert!(
            one(&traces(vec![request()]), &traces(vec![scoped]))
                .contains("comes from the tracer scope `iss-distance (no version)`; expected `iss-distance 0.1.0`")
        );
        let mut remote = request();
        remote.parent = Some(ParentLink::Remote);
        assert!(one(&traces(vec![remote]), &traces(vec![request()])).contains("expected a remote parent"));
    }

    #[test]
    fn attributes_missing_mistyped_wrong_and_unexpected() {
        let with = |key: &str, value: Value| {
            let mut s = request();
            s.attributes.clear();
            s.attributes.insert(key.into(), value);
            traces(vec![s])
        };
        let expected = with("app.place", Value::String("paris".into()));
        assert!(
            one(&expected, &with("app.place", Value::Int(1)))
                .contains("has type i64 (1); expected type string (\"paris\")")
        );
        assert!(
            one(&expected, &with("app.place", Value::String("lima".into())))
                .contains("is \"lima\"; expected \"paris\"")
        );
        let t = texts(&expected, &with("app.city", Value::String("paris".into())));
        assert_eq!(t.len(), 2, "{t:?}");
        assert!(t[0].contains("attribute `app.place` is missing (expected \"paris\", of type string)"), "{t:?}");
        assert!(t[1].contains("attribute `app.city` = \"paris\" is not expected"), "{t:?}");
    }

    #[test]
    fn a_span_exported_by_the_wrong_service() {
        let mut downstream = request();
        downstream.service = Some("iss-position".into());
        let t = one(&traces(vec![downstream]), &traces(vec![request()]));
        assert!(
            t.contains(
                "was exported by the main service (the resource's `service.name`); expected the service `iss-position`"
            ),
            "{t}"
        );
    }

    #[test]
    fn a_missing_event() {
        let mut quiet = request();
        quiet.events.clear();
        assert_eq!(
            one(&traces(vec![request()]), &traces(vec![quiet])),
            "span `trace 1 > GET /distance/{place}` has no event `place.resolved`"
        );
    }

    fn metric(name: &str, kind: MetricKind, unit: &str, points: Vec<DataPoint>) -> Metric {
        Metric {
            name: name.into(),
            kind,
            scope: Scope::default(),
            unit: unit.into(),
            description: String::new(),
            points,
        }
    }

    fn point(route: &str, value: i64) -> DataPoint {
        let mut attributes = Attributes::new();
        attributes.insert("http.route".into(), Value::String(route.into()));
        DataPoint { attributes, value: Some(Value::Int(value)), count: None, bounds: None }
    }

    fn metrics_doc(metrics: Vec<Metric>) -> Document {
        Document { metrics, ..Document::default() }
    }

    #[test]
    fn metrics_missing_unexpected_kind_unit_points_and_values() {
        let requests = |kind, unit: &str, points| metrics_doc(vec![metric("app.requests", kind, unit, points)]);
        let good = || vec![point("/a", 2), point("/b", 1)];
        let expected = requests(MetricKind::Counter, "{request}", good());
        let mut with_other = requests(MetricKind::Counter, "{request}", good());
        with_other.metrics.push(metric("other", MetricKind::Counter, "", vec![]));
        assert!(one(&expected, &with_other).contains("metric `other` (counter) is not expected"));
        assert!(
            one(&expected, &requests(MetricKind::UpDownCounter, "{request}", good()))
                .contains("is a up-down counter; expected a counter")
        );
        assert!(
            one(&expected, &requests(MetricKind::Counter, "1", good())).contains("has unit `1`; expected `{request}`")
        );
        assert!(
            one(&expected, &requests(MetricKind::Counter, "{request}", vec![point("/a", 3), point("/b", 1)]))
                .contains("value is 3 (i64); expected 2 (i64)")
        );
        assert!(
            one(&expected, &requests(MetricKind::Counter, "{request}", vec![point("/a", 2)]))
                .contains("has no data point with {http.route=\"/b\"}")
        );
        let missing = texts(&expected, &metrics_doc(vec![metric("x", MetricKind::Counter, "", vec![])]));
        assert!(missing.iter().any(|t| t == "metric `app.requests` (counter) is missing"), "{missing:?}");
        assert!(one(&expected, &Document::default()).starts_with("no metrics were exported"));
    }

    #[test]
    fn histogram_count_and_boundaries() {
        let histogram = |count, bounds: Vec<f64>| {
            let point =
                DataPoint { attributes: Attributes::new(), value: None, count: Some(count), bounds: Some(bounds) };
            metrics_doc(vec![metric("http.server.request.duration", MetricKind::Histogram, "s", vec![point])])
        };
        let expected = histogram(3, vec![0.1, 1.0]);
        assert!(one(&expected, &histogram(2, vec![0.1, 1.0])).contains("count is 2; expected 3"));
        assert!(
            one(&expected, &histogram(3, vec![100.0])).contains("has bucket boundaries [100.0]; expected [0.1, 1.0]")
        );
        let defaults = one(&expected, &histogram(3, SDK_DEFAULT_BOUNDS.to_vec()));
        assert!(defaults.contains("Those are the SDK's defaults, made for milliseconds"), "{defaults}");
    }

    #[test]
    fn a_data_point_attribute_of_the_wrong_type() {
        let mut as_text = point("/a", 2);
        as_text.attributes.insert("http.response.status_code".into(), Value::String("200".into()));
        let mut as_int = point("/a", 2);
        as_int.attributes.insert("http.response.status_code".into(), Value::Int(200));
        let counter = |p| metrics_doc(vec![metric("app.requests", MetricKind::Counter, "", vec![p])]);
        assert_eq!(
            one(&counter(as_int), &counter(as_text)),
            "metric `app.requests`: attribute `http.response.status_code` has type string (\"200\"); expected type i64 (200)"
        );
    }

    fn log(severity: &str, body: &str, span: Option<&str>) -> LogRecord {
        LogRecord {
            severity: Some(severity.into()),
            body: Some(Value::String(body.into())),
            scope: Scope::default(),
            attributes: Attributes::new(),
            span: span.map(str::to_string),
            target: None,
        }
    }

    fn logs_doc(logs: Vec<LogRecord>) -> Document {
        Document { logs, ..Document::default() }
    }

    #[test]
    fn logs_missing_severity_and_correlation() {
        let expected = logs_doc(vec![log("INFO", "resolved paris", Some("trace 1 > GET /distance/{place}"))]);
        assert!(
            one(&expected, &logs_doc(vec![log("INFO", "resolved paris", None)]))
                .contains("carries no trace context; expected the ids of `trace 1 > GET /distance/{place}`")
        );
        assert!(
            one(&expected, &logs_doc(vec![log("WARN", "resolved paris", Some("trace 1 > GET /distance/{place}"))]))
                .contains("has severity WARN; expected INFO")
        );
        let t = texts(&expected, &logs_doc(vec![log("INFO", "other", None)]));
        assert!(t[0].contains("log record `INFO \"resolved paris\"` is missing"), "{t:?}");
        assert!(one(&expected, &Document::default()).starts_with("no log records were exported"));
    }

    #[test]
    fn responses_and_resource() {
        let with_requests = |r: &str| Document { requests: vec![r.into()], ..Document::default() };
        assert!(
            one(&with_requests("GET /distance/atlantis -> 404"), &with_requests("GET /distance/atlantis -> 200"))
                .starts_with("`GET /distance/atlantis` answered 200; expected 404")
        );
        let mut expected = Document::default();
        expected.resource.insert("service.name".into(), Value::String("iss-distance".into()));
        assert!(one(&expected, &Document::default()).starts_with("no resource reached the exporter"));
    }
}
