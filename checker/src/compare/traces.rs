//! Traces: pairing expected and emitted traces, then spans by their place in the tree.

use std::collections::BTreeMap;

use similar::{Algorithm, DiffOp, capture_diff_slices};
use telemetry_document::{ParentLink, Span, TimeFact, Trace};

use super::{Diffs, Kind, Signal, attributes, trace_label};

/// What the exercise's own pipeline has that can drop or hold whole traces, as its
/// snapshot shows: only those are offered as causes of missing traces.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Pipeline {
    /// Some requests of the scenario leave no trace in the snapshot: a sampler.
    pub sampler: bool,
    /// Spans leave only when the service shuts down: a batch processor.
    pub batched: bool,
    /// The capture shows the traces' pipeline shut down on the way out (so a batch
    /// processor was flushed: never offered as a cause).
    pub traces_shut_down: bool,
    /// The same for the logs' pipeline.
    pub logs_shut_down: bool,
    /// The service's spans were exported, but the edge's `starts` processor saw none start.
    pub starts_unseen: bool,
    /// No global propagator was registered: the default one injects and extracts nothing.
    pub propagator_unset: bool,
}

/// A span with where it is: `<trace> > GET /x > child` (full) and `GET /x > child` (in-trace);
/// the trace is named by its request (see [`trace_label`]).
#[derive(Clone)]
struct Placed<'a> {
    full: String,
    within: String,
    /// The trace's label, as in `full`.
    trace: String,
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
            out.push(Placed {
                full: format!("{trace_label} > {within}"),
                within: within.clone(),
                trace: trace_label.to_string(),
                span,
            });
            walk(&within, &span.children, out, trace_label);
        }
    }
    let mut out = Vec::new();
    walk("", &trace.spans, &mut out, &trace_label(trace, number));
    out
}

fn root_names(trace: &Trace) -> String {
    trace.spans.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(" + ")
}

/// Expected and emitted trace indices paired, then the unpaired on each side.
pub(super) type Pairing = (Vec<(usize, usize)>, Vec<usize>, Vec<usize>);

/// Emitted span paths (`trace 4 > GET /x`) in the expected traces' numbers, through the
/// pairing: one trace more or less must not make every later reference to a span (a log
/// record's correlation, a link) differ. Only for comparing; learners see their own paths.
pub(super) struct Renumber(std::collections::HashMap<usize, String>);

impl Renumber {
    pub(super) fn new(pairs: &[(usize, usize)], emitted: usize) -> Self {
        let mut map: std::collections::HashMap<usize, String> =
            // An unpaired emitted trace gets a name no expected path has.
            (1..=emitted).map(|n| (n, format!("emitted trace {n}"))).collect();
        for &(e, a) in pairs {
            map.insert(a + 1, format!("trace {}", e + 1));
        }
        Renumber(map)
    }

    pub(super) fn path(&self, path: &str) -> String {
        let Some(rest) = path.strip_prefix("trace ") else { return path.to_string() };
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        match rest[..digits].parse().ok().and_then(|n: usize| self.0.get(&n)) {
            Some(trace) => format!("{trace}{}", &rest[digits..]),
            None => path.to_string(),
        }
    }
}

pub(super) fn traces(
    out: &mut Diffs,
    expected: &[Trace],
    actual: &[Trace],
    pairing: &Pairing,
    renumber: &Renumber,
    pipeline: Pipeline,
) {
    if actual.is_empty() && !expected.is_empty() {
        out.add(
            Signal::Traces,
            Kind::Nothing,
            "no spans were exported. Usually the tracer provider has no exporter (`.with_simple_exporter(edge.spans)`), \
             or a batch processor was never flushed (the service must shut its providers down on the way out), or \
             the spans come from a tracer of another provider, or they were never ended.",
        );
        return;
    }
    let (pairs, missing_traces, extra_traces) = pairing.clone();
    trace_count(out, expected, actual, &missing_traces, &extra_traces, pipeline);
    let at_creation_expected = || expected.iter().flat_map(|t| &t.spans).any(any_at_creation);
    if pipeline.starts_unseen && at_creation_expected() {
        out.add(
            Signal::Traces,
            Kind::StartsUnseen,
            "the tracer provider is built without the given `.with_span_processor(edge.starts)`, so the checker cannot \
             see which attributes each span had when it started (the conventions want some there at creation). Put the \
             given line back on `SdkTracerProvider::builder()`.",
        );
    }

    // Spans missing from matched traces, and spans nobody expected, to pair up by name.
    let mut missing: Vec<Placed> = Vec::new();
    let mut extra: Vec<Placed> = Vec::new();
    for (ei, ai) in pairs {
        let e_spans = placed(&expected[ei], ei + 1);
        let a_spans = placed(&actual[ai], ai + 1);
        for e in &e_spans {
            match a_spans.iter().find(|a| a.within == e.within) {
                Some(a) => span(out, &e.full, e.span, a.span, renumber, pipeline),
                None => missing.push(e.clone()),
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
    report_unpaired(out, missing, extra, renumber, pipeline);
}

fn any_at_creation(span: &Span) -> bool {
    !span.at_creation.is_empty() || span.children.iter().any(any_at_creation)
}

/// What identifies a trace when pairing: its roots and everything below them.
fn content(trace: &Trace) -> String {
    fn strip(spans: &[Span]) -> Vec<Span> {
        spans.iter().map(|s| Span { timing: None, children: strip(&s.children), ..s.clone() }).collect()
    }
    serde_json::to_string(&strip(&trace.spans)).unwrap_or_default()
}

/// Pairs expected and emitted traces: first those that are identical (in order), then
/// those started by the same request with the same root names (in order), then by the
/// request alone (in order), then, among the rest, those whose roots have the same names
/// (in order). Identical traces first, so that when some traces are missing (sampled out,
/// say) the others still meet their own counterparts; the request next, so that a trace is
/// compared with the one its request made, and the one with the same roots first when the
/// request made several (a span that lost its context starts a trace of its own during the
/// request: the request's trace is still the one with the server span). Returns the pairs
/// and the unpaired on each side.
pub(super) fn pair_traces(expected: &[Trace], actual: &[Trace]) -> Pairing {
    let mut pairs = Vec::new();
    let e_content: Vec<String> = expected.iter().map(|t| format!("{:?}{}", t.request, content(t))).collect();
    let a_content: Vec<String> = actual.iter().map(|t| format!("{:?}{}", t.request, content(t))).collect();
    for op in capture_diff_slices(Algorithm::Myers, &e_content, &a_content) {
        if let DiffOp::Equal { old_index, new_index, len } = op {
            pairs.extend((0..len).map(|i| (old_index + i, new_index + i)));
        }
    }
    // By request (with the same roots, then alone), among traces that have one.
    for with_roots in [true, false] {
        let left = |n: usize, side: usize| (0..n).filter(|i| !pairs.iter().any(|p| [p.0, p.1][side] == *i)).collect();
        let (e_left, a_left): (Vec<usize>, Vec<usize>) = (left(expected.len(), 0), left(actual.len(), 1));
        let key = |trace: &Trace| {
            trace.request.clone().map(|r| if with_roots { (r, root_names(trace)) } else { (r, String::new()) })
        };
        let e_requests: Vec<Option<(String, String)>> = e_left.iter().map(|&i| key(&expected[i])).collect();
        let a_requests: Vec<Option<(String, String)>> = a_left.iter().map(|&i| key(&actual[i])).collect();
        for op in capture_diff_slices(Algorithm::Myers, &e_requests, &a_requests) {
            if let DiffOp::Equal { old_index, new_index, len } = op {
                for i in 0..len {
                    if e_requests[old_index + i].is_some() {
                        pairs.push((e_left[old_index + i], a_left[new_index + i]));
                    }
                }
            }
        }
    }
    let e_left: Vec<usize> = (0..expected.len()).filter(|i| !pairs.iter().any(|p| p.0 == *i)).collect();
    let a_left: Vec<usize> = (0..actual.len()).filter(|i| !pairs.iter().any(|p| p.1 == *i)).collect();
    let e_roots: Vec<String> = e_left.iter().map(|&i| root_names(&expected[i])).collect();
    let a_roots: Vec<String> = a_left.iter().map(|&i| root_names(&actual[i])).collect();
    let mut missing_traces = Vec::new();
    let mut extra_traces = Vec::new();
    let mut candidates = Vec::new();
    for op in capture_diff_slices(Algorithm::Myers, &e_roots, &a_roots) {
        match op {
            DiffOp::Equal { old_index, new_index, len } => {
                candidates.extend((0..len).map(|i| (e_left[old_index + i], a_left[new_index + i])));
            }
            DiffOp::Delete { old_index, old_len, .. } => missing_traces.extend(&e_left[old_index..old_index + old_len]),
            DiffOp::Insert { new_index, new_len, .. } => extra_traces.extend(&a_left[new_index..new_index + new_len]),
            DiffOp::Replace { old_index, old_len, new_index, new_len } => {
                let both = old_len.min(new_len);
                candidates.extend((0..both).map(|i| (e_left[old_index + i], a_left[new_index + i])));
                missing_traces.extend(&e_left[old_index + both..old_index + old_len]);
                extra_traces.extend(&a_left[new_index + both..new_index + new_len]);
            }
        }
    }
    for (e, a) in candidates {
        // Two traces that name different requests are never the same trace.
        match (&expected[e].request, &actual[a].request) {
            (Some(x), Some(y)) if x != y => {
                missing_traces.push(e);
                extra_traces.push(a);
            }
            _ => pairs.push((e, a)),
        }
    }
    missing_traces.sort_unstable();
    extra_traces.sort_unstable();

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
fn trace_count(
    out: &mut Diffs,
    expected: &[Trace],
    actual: &[Trace],
    missing: &[usize],
    extra: &[usize],
    pipeline: Pipeline,
) {
    let (want, got) = (expected.len(), actual.len());
    let which = |traces: &[Trace], indices: &[usize]| {
        let named: Vec<String> = indices.iter().map(|&i| super::plain_label(&traces[i], i + 1)).collect();
        named.join(", ")
    };
    let remote_roots = |i: &usize| actual[*i].spans.iter().all(|root| root.parent == Some(ParentLink::Remote));
    // An orphan is a span the snapshot has below a parent; a kept trace is not.
    let below: Vec<&str> =
        expected.iter().flat_map(|t| t.spans.iter().flat_map(|root| placed_children(root))).collect();
    let orphans = |i: &usize| actual[*i].spans.iter().any(|root| below.contains(&root.name.as_str()));
    if !missing.is_empty() {
        let mut causes = Vec::new();
        if pipeline.sampler {
            causes.push(
                "a sampler dropped them (check its kind and ratio, and that a span with a sampled parent is kept)",
            );
        }
        if pipeline.batched && !pipeline.traces_shut_down {
            causes.push("a batch processor was not flushed on the way out (shut every provider down)");
        }
        let started_by_the_service = missing.iter().all(|&i| super::started_by_a_message(&expected[i]));
        let cause = if started_by_the_service {
            // A trace a message starts (a queue's job): its consumer span is what is
            // missing, far more often than a sampler's decision.
            let more = if causes.is_empty() { String::new() } else { format!(", or {}", causes.join(", or ")) };
            format!(
                "The service starts such a trace itself when it processes the message, with that consumer span: \
                 usually the span was never started or never ended{more}."
            )
        } else if causes.is_empty() {
            "Their spans were never started or never ended: start the span before anything that can return early, \
             and keep it until the response."
                .to_string()
        } else {
            // A trace the service itself starts (a queue's job, a task of its own) goes
            // missing the same way when its first span is never made.
            format!("Usually {}, or the span that starts them was never started or never ended.", causes.join(", or "))
        };
        out.add(
            Signal::Traces,
            Kind::TraceMissing,
            format!("{got} traces were exported; expected {want}: no trace for {}. {cause}", which(expected, missing)),
        );
    }
    if extra.is_empty() {
        return;
    }
    if pipeline.sampler && extra.iter().all(remote_roots) {
        // Spans whose caller dropped the trace, kept by a service that decided alone.
        out.add(
            Signal::Traces,
            Kind::TraceNotDropped,
            format!(
                "{got} traces were exported; expected {want}: traces that should have been dropped were kept: {}. \
                 Their spans' remote parent was not sampled, yet a service kept them: the sampler must follow the \
                 parent's decision (`Sampler::ParentBased`) in every service, the downstream one too.",
                which(actual, extra)
            ),
        );
    } else if !extra.iter().any(orphans) {
        let text = if pipeline.sampler {
            format!(
                "{got} traces were exported; expected {want}: traces that should have been dropped were kept: {}. \
                 Usually the sampler is missing or keeps more than it should (check its kind and ratio, and that \
                 a span with a parent follows its parent's decision, in every service).",
                which(actual, extra)
            )
        } else {
            format!(
                "{got} traces were exported; expected {want}: these traces are not expected: {}.",
                which(actual, extra)
            )
        };
        let kind = if pipeline.sampler { Kind::TraceNotDropped } else { Kind::TraceUnexpected };
        out.add(Signal::Traces, kind, text);
    }
}

/// Spans left unpaired: misplaced (same name elsewhere), renamed (same place and kind), or
/// missing and unexpected.
fn report_unpaired(
    out: &mut Diffs,
    missing: Vec<Placed>,
    mut extra: Vec<Placed>,
    renumber: &Renumber,
    pipeline: Pipeline,
) {
    let parent_of = |p: &Placed| p.within.rsplit_once(" > ").map(|(parent, _)| parent.to_string());
    for m in missing {
        // The same name elsewhere: in a trace of the same request first (a span that lost its
        // context is the root of a trace its own request started), then anywhere.
        let same_name = extra
            .iter()
            .position(|x| x.span.name == m.span.name && x.trace == m.trace)
            .or_else(|| extra.iter().position(|x| x.span.name == m.span.name));
        if let Some(pos) = same_name {
            let x = extra.remove(pos);
            out.add(Signal::Traces, Kind::SpanMisplaced, misplaced(&m, &x));
            // Elsewhere in the tree, its place in time relative to the expected parent
            // says nothing new: the misplacement is the mistake.
            let mut expected = m.span.clone();
            expected.time.retain(|fact| *fact != TimeFact::WithinParent);
            span(out, &m.full, &expected, x.span, renumber, pipeline);
        } else if let Some(pos) = extra.iter().position(|x| x.span.kind == m.span.kind && parent_of(x) == parent_of(&m))
        {
            // Same place in the tree, same kind, another name: a renamed span.
            let x = extra.remove(pos);
            out.add(
                Signal::Traces,
                Kind::SpanRenamed,
                format!("span `{}` is named `{}`; expected `{}`", x.full, x.span.name, m.span.name),
            );
            span(out, &m.full, m.span, x.span, renumber, pipeline);
        } else {
            out.add(Signal::Traces, Kind::SpanMissing, format!("span `{}` ({}) is missing", m.full, m.span.kind));
        }
    }
    for x in extra {
        out.add(Signal::Traces, Kind::SpanUnexpected, format!("span `{}` ({}) is not expected", x.full, x.span.kind));
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
            "Start it inside its parent's context, carried to where it starts: into a future with \
             `.with_context(cx)`; into a closure that runs elsewhere (`spawn_blocking`, a thread) with \
             `let _guard = cx.attach();` inside it, kept until the work is done (a closure is not a future)."
        };
        format!(
            "span `{}` has no parent: it is the root of its own trace (`{}`); expected it under `{parent}`. {how}",
            expected.span.name, actual.full
        )
    } else {
        format!("span `{}` is at `{}`; expected it at `{}`", expected.span.name, actual.full, expected.full)
    }
}

fn span(out: &mut Diffs, path: &str, e: &Span, a: &Span, renumber: &Renumber, pipeline: Pipeline) {
    let t = Signal::Traces;
    if e.kind != a.kind {
        out.add(t, Kind::SpanKind, format!("span `{path}` has kind {}; expected {}", a.kind, e.kind));
    }
    if e.scope != a.scope {
        out.add(
            t,
            Kind::Scope,
            format!("span `{path}` comes from the tracer scope `{}`; expected `{}`", a.scope, e.scope),
        );
    }
    if e.service != a.service {
        let say = |s: &Option<String>| match s {
            Some(name) => format!("the service `{name}`"),
            None => "the main service (the resource's `service.name`)".into(),
        };
        out.add(
            t,
            Kind::SpanService,
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
        // A server span that should start a trace but took a parent: the context it was
        // extracted onto was not empty.
        let why = if pipeline.propagator_unset {
            ". No propagator is registered (`global::set_text_map_propagator(..)` never ran in the setup): the \
             default one injects no `traceparent` and extracts nothing, so no context crosses between the services"
        } else if e.parent.is_none() && e.kind == telemetry_document::SpanKind::Server {
            ". A server span's parent comes from the request's headers alone: extract onto an empty context \
             (`extract_with_context(&Context::new(), ..)`); `extract(..)` starts from the current context, so \
             whatever span is current where the request is handled becomes the parent of a request that carries \
             no `traceparent`"
        } else {
            ""
        };
        out.add(t, Kind::SpanParent, format!("span `{path}` has {}; expected {}{why}", say(&a.parent), say(&e.parent)));
    }
    if e.status != a.status {
        out.add(t, Kind::SpanStatus, format!("span `{path}` has status {}; expected {}", a.status, e.status));
    }
    attributes(out, t, &format!("span `{path}`: attribute"), &e.attributes, &a.attributes);
    // Only attributes the span has, given too late (a missing one is said above).
    let late: Vec<String> = e
        .at_creation
        .iter()
        .filter(|k| !a.at_creation.contains(k) && a.attributes.contains_key(*k))
        .map(|k| format!("`{k}`"))
        .collect();
    if !late.is_empty() && !pipeline.starts_unseen {
        let (which, were) = if late.len() == 1 { ("attribute", "was") } else { ("attributes", "were") };
        out.add(
            t,
            Kind::AttributeLate,
            format!(
                "span `{path}`: {which} {} {were} set after the span started; the semantic conventions want them at \
                 creation, because a sampler decides as the span starts and sees only what it was created with: give \
                 them to the builder (`.with_attributes(..)` before `.start(..)`, or values in `#[instrument]`'s \
                 `fields`), not `set_attribute` or `record` afterwards",
                late.join(", ")
            ),
        );
    }
    let a_events: Vec<&str> = a.events.iter().map(|ev| ev.name.as_str()).collect();
    let e_events: Vec<&str> = e.events.iter().map(|ev| ev.name.as_str()).collect();
    if a_events != e_events {
        for name in e_events.iter().filter(|n| !a_events.contains(n)) {
            out.add(t, Kind::EventMissing, format!("span `{path}` has no event `{name}`"));
        }
        for name in a_events.iter().filter(|n| !e_events.contains(n)) {
            out.add(t, Kind::EventUnexpected, format!("span `{path}`: event `{name}` is not expected"));
        }
        if e_events.iter().all(|n| a_events.contains(n)) && a_events.iter().all(|n| e_events.contains(n)) {
            out.add(
                t,
                Kind::EventOrder,
                format!("span `{path}` has its events in the order {a_events:?}; expected {e_events:?}"),
            );
        }
    }
    for ev in &e.events {
        if let Some(got) = a.events.iter().find(|g| g.name == ev.name)
            && let (Some(want), Some(when)) = (&ev.at, &got.at)
            && want != when
        {
            out.add(
                t,
                Kind::EventMoment,
                format!(
                    "span `{path}`, event `{}` was recorded {when}; expected {want}: an event marks the moment it \
                     describes, so record it right where that happens in the code",
                    ev.name
                ),
            );
        }
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
    for fact in e.time.iter().filter(|f| !a.time.contains(f)) {
        out.add(t, Kind::SpanTime, time_fact_missing(path, e, *fact));
    }
    if e.links_at_creation && !a.links_at_creation && !a.links.is_empty() && !pipeline.starts_unseen {
        out.add(
            t,
            Kind::LinksLate,
            format!(
                "span `{path}`: its links were added after it started; give them to the builder \
                 (`.with_links(..)`), where a sampler sees them: a sampler decides as the span starts"
            ),
        );
    }
    if e.links != a.links.iter().map(|l| renumber.path(l)).collect::<Vec<_>>() {
        out.add(t, Kind::SpanLinks, format!("span `{path}` links to {:?}; expected {:?}", a.links, e.links));
    }
}

/// A structural fact about time that holds in the solution and not here.
fn time_fact_missing(path: &str, span: &Span, fact: TimeFact) -> String {
    match fact {
        TimeFact::WithinParent => format!(
            "span `{path}` does not lie within its parent: it started before its parent or ended after it. A parent \
             ends after its children: end it last (a span ends when its last handle is dropped, so keep the parent \
             alive while its children run; work handed to a task of its own must be awaited, or its acknowledgement \
             waited for, before the parent's work is done)."
        ),
        TimeFact::CoversCall if span.kind == telemetry_document::SpanKind::Client => format!(
            "span `{path}` ended before the call it describes returned (or started after it was sent): start the \
             client span before sending the request and end it after the response, keeping it alive across the \
             `.await` (`let _ = tracer.start(..)` or `span.end()` right away ends it at once)."
        ),
        TimeFact::CoversCall => format!(
            "span `{path}` ended before the work of its request was done (the call to the position service): the \
             server span must last until the response (`let _ = tracer.start(..)` or `span.end()` right away ends it \
             at once)."
        ),
        TimeFact::CoversQuery => format!(
            "span `{path}` does not cover the database query it describes: it ended before the query ran (or started \
             after it returned). Start the span right before the query and end it once the query returned."
        ),
        TimeFact::CoversSend => format!(
            "span `{path}` was no longer open when its message was handed to the queue (`queue.send(..)`): a producer \
             span is the sending, so it starts before the message goes and ends once it is queued (end it after \
             `send` returns)."
        ),
        TimeFact::EndsBeforeAck => format!(
            "span `{path}` ended only after the worker acknowledged the message, so it covers the processing too: a \
             producer span is the sending, and ends once the message is queued (end it before awaiting the \
             acknowledgement)."
        ),
        TimeFact::CurrentAtLookup | TimeFact::CurrentAtCall | TimeFact::CurrentAtQuery => {
            let what = match fact {
                TimeFact::CurrentAtLookup => "the place was looked up (`places.find`)",
                TimeFact::CurrentAtCall => "the call to the position service went out",
                _ => "the database query ran",
            };
            format!(
                "span `{path}` was not the current span when {what}: a span covers work only while it is current, \
                 and code running then takes the current context as its own (its child spans, its log records, the \
                 `traceparent` it sends). Make the span current for the whole of that work: in async code, run the \
                 future `.with_context(cx)` with a context that holds it, or, with `tracing`, `.instrument(span)` \
                 (starting or keeping a span does not make it current)."
            )
        }
    }
}
