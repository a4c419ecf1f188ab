//! Likely causes: the mistakes people actually make, recognised in what an exercise
//! emitted, each with what usually causes it. Shown after the plain differences.

use std::collections::{BTreeMap, BTreeSet};

use opentelemetry_semantic_conventions::{attribute, resource};
use telemetry_document::{Attributes, Document, ParentLink, Span, Status, Value};

pub use crate::kind::{Cause, CauseKind};

/// Keys the semantic conventions renamed: (old, new, the constant to use). Both strings
/// come from the conventions crate itself.
#[allow(deprecated)]
const RENAMED: &[(&str, &str, &str)] = &[
    (attribute::DEPLOYMENT_ENVIRONMENT, resource::DEPLOYMENT_ENVIRONMENT_NAME, "resource::DEPLOYMENT_ENVIRONMENT_NAME"),
    (attribute::HTTP_METHOD, attribute::HTTP_REQUEST_METHOD, "attribute::HTTP_REQUEST_METHOD"),
    (attribute::HTTP_STATUS_CODE, attribute::HTTP_RESPONSE_STATUS_CODE, "attribute::HTTP_RESPONSE_STATUS_CODE"),
    (attribute::HTTP_URL, attribute::URL_FULL, "attribute::URL_FULL"),
    (attribute::HTTP_TARGET, attribute::URL_PATH, "attribute::URL_PATH"),
    (attribute::HTTP_SCHEME, attribute::URL_SCHEME, "attribute::URL_SCHEME"),
    (attribute::NET_PEER_NAME, attribute::SERVER_ADDRESS, "attribute::SERVER_ADDRESS"),
    (attribute::NET_PEER_PORT, attribute::SERVER_PORT, "attribute::SERVER_PORT"),
    (attribute::HTTP_USER_AGENT, attribute::USER_AGENT_ORIGINAL, "attribute::USER_AGENT_ORIGINAL"),
    (attribute::HTTP_CLIENT_IP, attribute::CLIENT_ADDRESS, "attribute::CLIENT_ADDRESS"),
    (attribute::DB_SYSTEM, attribute::DB_SYSTEM_NAME, "attribute::DB_SYSTEM_NAME"),
    (attribute::DB_STATEMENT, attribute::DB_QUERY_TEXT, "attribute::DB_QUERY_TEXT"),
    (attribute::DB_NAME, attribute::DB_NAMESPACE, "attribute::DB_NAMESPACE"),
    (attribute::DB_OPERATION, attribute::DB_OPERATION_NAME, "attribute::DB_OPERATION_NAME"),
];

/// Likely causes of a panic, from its message: panics the SDK's own pieces cause when
/// used where they cannot work, which a learner cannot tell from the message alone.
pub fn panic_causes(message: &str) -> Vec<Cause> {
    let mut causes = Vec::new();
    if message.contains("Cannot drop a runtime in a context where blocking is not allowed")
        || message.contains("Cannot start a runtime from within a runtime")
    {
        causes.push(Cause::new(
            CauseKind::BlockingClient,
            "A blocking HTTP client ran on the service's async runtime: the OTLP exporter's default client \
             (reqwest's blocking one) has a runtime of its own. A simple processor exports on the thread that ends \
             the span, inside the service's runtime; the batch processors and the periodic reader export on threads \
             of their own."
                .to_string(),
        ));
    }
    causes
}

/// One line per likely cause, most useful first, without repeats.
pub fn likely_causes(expected: &Document, actual: &Document) -> Vec<Cause> {
    let mut causes = Vec::new();
    still_in_memory(&mut causes, actual);
    globals_not_registered(&mut causes, expected, actual);
    nothing_exported(&mut causes, expected, actual);
    let expected_keys = all_keys(expected);
    let actual_keys = all_keys(actual);
    keys(&mut causes, &expected_keys, &actual_keys);
    span_names(&mut causes, expected, actual);
    unended_parents(&mut causes, actual);
    metric_cardinality(&mut causes, expected, actual);
    sdk_logs(&mut causes, expected, actual);
    client_errors_as_failures(&mut causes, expected, actual);
    error_class_by_type(&mut causes, expected, actual);
    requests_left_in_flight(&mut causes, expected, actual);
    position_router_not_the_lab_s(&mut causes, expected, actual);
    never_shut_down(&mut causes, expected, actual);
    setup_errors(&mut causes, actual);
    let mut seen = BTreeSet::new();
    causes.retain(|c| seen.insert(c.text.clone()));
    causes
}

/// What the setup should have registered globally and did not (capture facts).
fn globals_not_registered(causes: &mut Vec<Cause>, expected: &Document, actual: &Document) {
    let facts = &actual.capture_facts;
    let crosses = expected.spans().iter().any(|(_, s)| s.parent == Some(telemetry_document::ParentLink::Remote));
    if crosses && facts.propagator_fields.as_ref().is_some_and(Vec::is_empty) {
        causes.push(Cause::new(
            CauseKind::PropagatorUnset,
            "No propagator is registered: `global::set_text_map_propagator(..)` never ran in the setup, and the \
             default one injects no `traceparent` and extracts nothing, so no trace crosses from one service to the \
             other.",
        ));
    }
    if facts.global_subscriber == Some(false) && actual.logs.len() < expected.logs.len() {
        causes.push(Cause::new(
            CauseKind::SubscriberThreadOnly,
            "No global `tracing` subscriber is installed: `set_default` installs one for the calling thread only (the \
             setup's), so the records written on the runtime's workers reach no bridge. Install it for every thread \
             with `tracing::subscriber::set_global_default`.",
        ));
    }
}

fn nothing_exported(causes: &mut Vec<Cause>, expected: &Document, actual: &Document) {
    let empty = actual.traces.is_empty() && actual.metrics.is_empty() && actual.logs.is_empty();
    // Over the wire, the collector already says why each signal is missing (`refused`).
    if ["traces", "metrics", "logs"].iter().any(|s| refusal_explains(actual, s)) {
        return;
    }
    let expected_something = !(expected.traces.is_empty() && expected.metrics.is_empty() && expected.logs.is_empty());
    if !(empty && expected_something) {
        return;
    }
    // A provider's shutdown, and its drop, shut its exporter down: when the capture saw
    // none of the edge's exporters shut down, no provider (dropped early or not) held one.
    let never_held = actual.capture_facts.shut_down.as_ref().is_some_and(|all| all.values().all(|done| !done));
    causes.push(if never_held {
        Cause::new(
            CauseKind::NothingExportedNoExporter,
            "Nothing at all was exported, and none of the lab's exporters was ever shut down, so no provider in \
         `Telemetry` holds one: give the provider its exporter from the edge (`.with_simple_exporter(edge.spans)`, \
         `PeriodicReader::builder(edge.metrics)`, ...).",
        )
    } else {
        Cause::new(
            CauseKind::NothingExported,
            "Nothing at all was exported. Usually a provider has no exporter, or it was dropped or shut down before \
         the requests ran (keep it in `Telemetry`), or the code uses `global::tracer(..)` while the provider was \
         never registered with `global::set_tracer_provider`.",
        )
    });
}

/// Every attribute key of a document, with where it was seen.
fn all_keys(document: &Document) -> BTreeMap<String, String> {
    let mut keys = BTreeMap::new();
    let mut add = |attributes: &Attributes, place: String| {
        for key in attributes.keys() {
            keys.entry(key.clone()).or_insert_with(|| place.clone());
        }
    };
    add(&document.resource, "the resource".into());
    for (path, span) in document.spans() {
        add(&span.attributes, format!("span `{path}`"));
        for event in &span.events {
            add(&event.attributes, format!("event `{}` of span `{path}`", event.name));
        }
    }
    for metric in &document.metrics {
        for point in &metric.points {
            add(&point.attributes, format!("metric `{}`", metric.name));
        }
    }
    for log in &document.logs {
        add(&log.attributes, "a log record".into());
    }
    keys
}

fn keys(causes: &mut Vec<Cause>, expected: &BTreeMap<String, String>, actual: &BTreeMap<String, String>) {
    for (key, place) in actual {
        if expected.contains_key(key) {
            continue;
        }
        if let Some((_, new, constant)) = RENAMED.iter().find(|(old, _, _)| old == key) {
            causes.push(Cause::new(
                CauseKind::DeprecatedKey,
                format!(
                    "`{key}` (on {place}) is an old, deprecated key: the conventions renamed it `{new}`. \
                 Use the constant `opentelemetry_semantic_conventions::{constant}`."
                ),
            ));
        } else if let Some(near) = expected.keys().find(|e| !actual.contains_key(*e) && looks_like(key, e)) {
            causes.push(Cause::new(
 CauseKind::KeyTypo,
format!(
                "`{key}` (on {place}) looks like a hand-typed `{near}`: take keys from \
                 `opentelemetry_semantic_conventions` (or one `const` of your own for `iss.*` keys), never type them twice."
            )));
        }
    }
}

/// Same key but for separators, case or a typo or two.
fn looks_like(a: &str, b: &str) -> bool {
    let fold = |s: &str| s.to_ascii_lowercase().replace(['_', '-'], ".");
    fold(a) == fold(b) || (a.len() > 5 && edit_distance(a, b) <= 2)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// `GET /distance/paris` where `GET /distance/{place}` was expected.
fn span_names(causes: &mut Vec<Cause>, expected: &Document, actual: &Document) {
    let templates: BTreeSet<String> =
        expected.spans().into_iter().map(|(_, s)| s.name.clone()).filter(|n| n.contains('{')).collect();
    for (_, span) in actual.spans() {
        if let Some(template) = templates.iter().find(|t| matches_template(&span.name, t)) {
            causes.push(Cause::new(
                CauseKind::RawPathSpanName,
                format!(
                    "span name `{}` contains the raw path: every place gets a name of its own (high cardinality). \
                 Name spans after the route template, `{template}`, and put the value in an attribute.",
                    span.name
                ),
            ));
        }
    }
}

/// `GET /distance/paris` matches `GET /distance/{place}`.
fn matches_template(name: &str, template: &str) -> bool {
    let (n, t): (Vec<&str>, Vec<&str>) = (name.split('/').collect(), template.split('/').collect());
    n.len() == t.len()
        && name != template
        && n.iter().zip(&t).all(|(n, t)| n == t || (t.starts_with('{') && t.ends_with('}') && !n.is_empty()))
}

fn unended_parents(causes: &mut Vec<Cause>, actual: &Document) {
    fn walk(causes: &mut Vec<Cause>, spans: &[Span]) {
        for span in spans {
            // A server span's parent comes from the request's headers, never from a span of
            // this process: the comparison already says how it got one (the extraction).
            if span.parent == Some(ParentLink::Missing) && span.kind != telemetry_document::SpanKind::Server {
                causes.push(Cause::new(
                    CauseKind::ParentNotEnded,
                    format!(
                        "span `{}` names a parent that was never exported: that parent was not ended (a span ends when \
                     its last handle is dropped; one kept in a struct or moved into a spawned task lives on), or it \
                     comes from another tracer provider.",
                        span.name
                    ),
                ));
            }
            walk(causes, &span.children);
        }
    }
    for trace in &actual.traces {
        walk(causes, &trace.spans);
    }
}

/// An attribute the snapshot does not have whose value changes with every data point.
fn metric_cardinality(causes: &mut Vec<Cause>, expected: &Document, actual: &Document) {
    for metric in &actual.metrics {
        let expected_keys: BTreeSet<&String> = expected
            .metrics
            .iter()
            .filter(|m| m.name == metric.name)
            .flat_map(|m| m.points.iter().flat_map(|p| p.attributes.keys()))
            .collect();
        let mut values: BTreeMap<&String, BTreeSet<String>> = BTreeMap::new();
        for point in &metric.points {
            for (key, value) in &point.attributes {
                values.entry(key).or_default().insert(value.to_string());
            }
        }
        for (key, distinct) in values {
            let raw_path = distinct.iter().any(|v| v.trim_matches('"').matches('/').count() >= 2);
            if !expected_keys.contains(key) && (distinct.len() >= 3 || raw_path) {
                causes.push(Cause::new(
                    CauseKind::MetricCardinality,
                    format!(
                        "metric `{}` has an attribute `{key}` with a different value for almost every request \
                     ({} values): that is high cardinality, one time series per value. Keep metric attributes to a few \
                     values (route template, method, status class), never ids or raw paths.",
                        metric.name,
                        distinct.len()
                    ),
                ));
            }
        }
    }
}

/// A server span marked as failed for a 4xx answer, where the snapshot keeps it Unset.
fn client_errors_as_failures(causes: &mut Vec<Cause>, expected: &Document, actual: &Document) {
    let status_code = attribute::HTTP_RESPONSE_STATUS_CODE;
    let actual_spans = actual.spans();
    for (path, want) in expected.spans() {
        let four_xx = matches!(want.attributes.get(status_code), Some(telemetry_document::Value::Int(400..=499)));
        if !(four_xx && want.kind == telemetry_document::SpanKind::Server && want.status == Status::Unset) {
            continue;
        }
        if let Some((_, got)) = actual_spans.iter().find(|(p, _)| *p == path)
            && got.status != Status::Unset
        {
            causes.push(Cause::new(
                CauseKind::ClientErrorAsFailure,
                format!(
                    "span `{}` answered a 4xx and has status {}: a 4xx is the caller's mistake, not the server's \
                 failure, so the HTTP conventions keep a server span's status Unset (and add no `error.type`). \
                 Mark only 5xx answers as errors.",
                    want.name, got.status
                ),
            ));
        }
    }
}

/// A failed database call whose `error.type` is a Rust type path (`rusqlite::error::Error`,
/// what `std::any::type_name_of_val` gives) where the expected span has the database's
/// result code: the type of the client's error enum is one value for every failure.
fn error_class_by_type(causes: &mut Vec<Cause>, expected: &Document, actual: &Document) {
    let actual_spans = actual.spans();
    for (path, want) in expected.spans() {
        if !want.attributes.contains_key(attribute::DB_RESPONSE_STATUS_CODE) {
            continue;
        }
        let Some((_, got)) = actual_spans.iter().find(|(p, _)| *p == path) else { continue };
        if let Some(Value::String(class)) = got.attributes.get(attribute::ERROR_TYPE)
            && class.contains("::")
        {
            causes.push(Cause::new(
                CauseKind::ErrorClassByType,
                format!(
                    "span `{path}` classifies its failed query as `{class}`, the type of every error the client \
                     returns: one value for a refused query, a busy database or a broken constraint alike. The SQL \
                     conventions want the database's own code: SQLite's extended result code as a string in \
                     `db.response.status_code` (`err.sqlite_extended_error_code()`), and the same value in \
                     `error.type`."
                ),
            ));
        }
    }
}

/// `http.server.active_requests` above the snapshot's value after a scenario whose caller
/// gave up on a request: the decrement runs at the end of the handler, which a dropped
/// future never reaches.
fn requests_left_in_flight(causes: &mut Vec<Cause>, expected: &Document, actual: &Document) {
    let name = opentelemetry_semantic_conventions::metric::HTTP_SERVER_ACTIVE_REQUESTS;
    let Some(abandoned) = actual.requests.iter().find(|r| r.ends_with("-> no response")) else { return };
    let value = |d: &Document| -> Option<i64> {
        let metric = d.metrics.iter().find(|m| m.name == name)?;
        Some(
            metric
                .points
                .iter()
                .filter_map(|p| match p.value {
                    Some(Value::Int(v)) => Some(v),
                    _ => None,
                })
                .sum(),
        )
    };
    if let (Some(want), Some(got)) = (value(expected), value(actual))
        && got > want
    {
        let request = abandoned.trim_end_matches(" -> no response");
        causes.push(Cause::new(
 CauseKind::LeftInFlight,
format!(
            "`{name}` stays at {got} after the scenario (expected {want}): the caller gave up on `{request}`, and the \
             handler's future was dropped mid-flight, so code at the end of the handler never ran. Decrement in the \
             `Drop` of a guard created with the increment: `Drop` runs however the request ends."
        )));
    }
}

/// A request to the position service itself answered 404 where the snapshot has an
/// answer: the exercise serves a router of its own instead of the lab's.
fn position_router_not_the_lab_s(causes: &mut Vec<Cause>, expected: &Document, actual: &Document) {
    const ON_POSITION: &str = " (on the position service) -> ";
    for (want, got) in expected.requests.iter().zip(&actual.requests) {
        if want.contains(ON_POSITION) && got.ends_with("-> 404") && !want.ends_with("-> 404") {
            let request = got.split(ON_POSITION).next().unwrap_or(got);
            causes.push(Cause::new(
 CauseKind::OwnPositionRouter,
format!(
                "`{request}` on the position service answered 404: its router is one of your own, with a hand-written \
                 handler, not the lab's (`lab::service::position::router(orbit)`) wrapped in the layer. A layer \
                 instruments every route of the router it wraps, including routes you did not write (this health \
                 check); keep no hand-written instrumentation beside it."
            )));
        }
    }
}

/// A signal the snapshot exports at shutdown (a batch processor, a periodic reader) that
/// never reached the exporter. The capture says whether that pipeline was shut down on
/// the way out (`capture_facts`): if it was, shutdown is not the cause and nothing was
/// recorded through it; if it was not, that is the cause; a capture that does not say gets
/// both, as a condition. Over the wire, the collector's own line says why a signal never
/// arrived (`refused`), so nothing is added here.
fn never_shut_down(causes: &mut Vec<Cause>, expected: &Document, actual: &Document) {
    for (signal, want) in &expected.delivery {
        if *want != telemetry_document::Delivery::AtShutdown || actual.delivery.contains_key(signal) {
            continue;
        }
        if refusal_explains(actual, signal) || in_memory(actual, signal) {
            continue;
        }
        let (what, provider, how) = match signal.as_str() {
            "position traces" => (
                "the position service's spans",
                "the position service's tracer provider",
                "a span is exported once it ends",
            ),
            "logs" => ("log records", "the logger provider", "a record is exported once a bridge emits it"),
            "metrics" => {
                ("metrics", "the meter provider", "an instrument that is created but never used exports nothing")
            }
            _ => ("spans", "the tracer provider", "a span is exported once it ends"),
        };
        causes.push(match actual.capture_facts.shut_down(signal) {
            // The comparison's own line says so for these two (`no metrics were exported,
            // though ...`); once is enough.
            Some(true) if matches!(signal.as_str(), "metrics" | "traces") => continue,
            Some(true) => Cause::new(
                CauseKind::ShutDownNothingRecorded,
                format!(
                    "{what} never reached the exporter, though {provider} was shut down on the way out (which exports \
                 everything it holds): nothing was recorded through it. Either the code that records them never ran \
                 ({how}), or it records through another provider than the one in `Telemetry` (a `global::` one \
                 never registered, or one built apart)."
                ),
            ),
            Some(false) => Cause::new(
                CauseKind::NeverShutDown,
                format!(
                    "{what} never reached the exporter: {provider} was not shut down on the way out, and {provider} \
                 holds them until it is shut down (a batch processor, a periodic reader). Shut every provider down, \
                 that one too."
                ),
            ),
            None => Cause::new(
                CauseKind::MaybeNeverShutDown,
                format!(
                    "{what} never reached the exporter. If your code does record them, {provider} was not shut down on \
                 the way out: {provider} holds them until it is shut down (a batch processor, a periodic reader). \
                 Shut every provider down, that one too."
                ),
            ),
        });
    }
}

/// Over the wire: the collector already said why `signal` never arrived (a refusal, or
/// nothing sent to it), and in-process causes would only mislead.
fn refusal_explains(actual: &Document, signal: &str) -> bool {
    let signal = if signal == "position traces" { "traces" } else { signal };
    actual.refused.contains_key(signal)
}

/// Over the wire, `signal` reached the lab's in-memory exporters (said by [`still_in_memory`]).
fn in_memory(actual: &Document, signal: &str) -> bool {
    let signal = if signal == "position traces" { "traces" } else { signal };
    actual.capture_facts.in_memory.iter().any(|s| s == signal)
}

/// Over the wire, telemetry that still reached the lab's in-memory exporters: the service
/// kept the edge's exporters instead of building OTLP ones.
fn still_in_memory(causes: &mut Vec<Cause>, actual: &Document) {
    let signals = &actual.capture_facts.in_memory;
    if signals.is_empty() {
        return;
    }
    let exporters: Vec<&str> = signals
        .iter()
        .map(|s| match s.as_str() {
            "metrics" => "`edge.metrics`",
            "logs" => "`edge.logs`",
            _ => "`edge.spans`",
        })
        .collect();
    causes.push(Cause::new(
        CauseKind::StillInMemory,
        format!(
            "the service still exports its {} to the lab's in-memory exporters ({}), not over OTLP: build the \
         exporters yourself (`opentelemetry_otlp::SpanExporter::builder().build()`, and the same for \
         metrics and logs), which read `OTEL_EXPORTER_OTLP_*`, and give those to the providers.",
            and_list(signals),
            exporters.join(", ")
        ),
    ));
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Setup errors the exercise printed while it ran (the bridges, the global subscriber,
/// the providers' shutdown): they say why something is missing better than its absence.
fn setup_errors(causes: &mut Vec<Cause>, actual: &Document) {
    const SIGNS: &[&str] =
        &["not bridged", "attempted to set", "already been set", "already initialized", "may be lost"];
    let lines: Vec<&String> = actual.stderr.iter().filter(|l| SIGNS.iter().any(|s| l.contains(s))).collect();
    if !lines.is_empty() {
        let shown: Vec<String> = lines.iter().map(|l| format!("`{}`", l.trim())).collect();
        causes.push(Cause::new(
            CauseKind::SetupError,
            format!(
                "the service printed on stderr while it ran: {}. A bridge or subscriber that cannot be installed sends \
             nothing: a process has one global `tracing` subscriber and one `log` logger, so install each once \
             (`.init()` also installs a `log` logger when tracing-subscriber's `tracing-log` feature is on).",
                shown.join(", ")
            ),
        ));
    }
}

fn sdk_logs(causes: &mut Vec<Cause>, expected: &Document, actual: &Document) {
    // The bridges give records an empty scope; where they were written is the target.
    const NOISY: &[&str] = &["opentelemetry", "h2", "hyper", "tonic", "tower", "reqwest"];
    let is_sdk = |l: &telemetry_document::LogRecord| {
        let origin = l.target.as_deref().unwrap_or(&l.scope.name);
        NOISY
            .iter()
            .any(|n| origin == *n || origin.starts_with(&format!("{n}::")) || origin.starts_with(&format!("{n}_")))
    };
    let leaked = actual.logs.iter().filter(|l| is_sdk(l)).count();
    let expected_sdk = expected.logs.iter().filter(|l| is_sdk(l)).count();
    if leaked > expected_sdk {
        causes.push(Cause::new(
 CauseKind::SdkLogs,
format!(
            "{leaked} log record(s) come from the OpenTelemetry SDK or the HTTP stack themselves (targets \
             `opentelemetry*`, `h2`, `hyper`, `tonic`, `tower`, `reqwest`): their internal logs reach your log pipeline. \
             Filter them out of the bridge layer, e.g. `tracing_subscriber::filter::Targets::new()\
             .with_default(Level::INFO).with_target(\"opentelemetry\", LevelFilter::OFF)` (and the same for the others)."
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sentences only: most tests here are about what the learner reads.
    fn likely_causes(expected: &Document, actual: &Document) -> Vec<String> {
        super::likely_causes(expected, actual).into_iter().map(|c| c.text).collect()
    }

    fn kinds(expected: &Document, actual: &Document) -> Vec<CauseKind> {
        super::likely_causes(expected, actual).into_iter().map(|c| c.kind).collect()
    }
    use telemetry_document::{Scope, SpanKind, Trace, Value};

    fn span(name: &str) -> Span {
        Span::new(name, SpanKind::Server)
    }

    fn with_resource(pairs: &[(&str, &str)]) -> Document {
        Document {
            resource: pairs.iter().map(|(k, v)| (k.to_string(), Value::String(v.to_string()))).collect(),
            ..Document::default()
        }
    }

    #[test]
    fn a_deprecated_key_names_its_replacement_constant() {
        let expected = with_resource(&[("deployment.environment.name", "workshop")]);
        let actual = with_resource(&[("deployment.environment", "workshop")]);
        let causes = likely_causes(&expected, &actual);
        assert_eq!(causes.len(), 1, "{causes:?}");
        assert!(causes[0].contains("renamed it `deployment.environment.name`"), "{causes:?}");
        assert!(causes[0].contains("resource::DEPLOYMENT_ENVIRONMENT_NAME"), "{causes:?}");
        assert_eq!(kinds(&expected, &actual), [CauseKind::DeprecatedKey]);
    }

    #[test]
    fn a_query_failure_classified_by_the_error_s_type_is_named() {
        let failed = |attributes: &[(&str, &str)]| {
            let mut query = Span::new("SELECT places", SpanKind::Client);
            query.attributes = attributes.iter().map(|(k, v)| (k.to_string(), Value::String(v.to_string()))).collect();
            let mut server = span("GET /distance/{place}");
            server.children.push(query);
            Document { traces: vec![Trace { request: None, spans: vec![server] }], ..Document::default() }
        };
        let expected = failed(&[("db.response.status_code", "23"), ("error.type", "23")]);
        let by_type = failed(&[("error.type", "rusqlite::error::Error")]);
        let causes = likely_causes(&expected, &by_type);
        assert!(
            causes.iter().any(|c| c.contains("classifies its failed query as `rusqlite::error::Error`")),
            "{causes:?}"
        );
        assert_eq!(kinds(&expected, &by_type), [CauseKind::ErrorClassByType]);
        // A code of another value is a plain difference, not this mistake.
        assert!(likely_causes(&expected, &failed(&[("error.type", "1")])).is_empty());
    }

    #[test]
    fn a_hand_typed_key_is_recognised() {
        let expected = with_resource(&[("service.name", "x")]);
        for typo in ["service_name", "Service.Name", "servce.name"] {
            let causes = likely_causes(&expected, &with_resource(&[(typo, "x")]));
            assert!(causes.iter().any(|c| c.contains("looks like a hand-typed `service.name`")), "{typo}: {causes:?}");
            assert_eq!(kinds(&expected, &with_resource(&[(typo, "x")])), [CauseKind::KeyTypo], "{typo}");
        }
        assert!(likely_causes(&expected, &with_resource(&[("app.other", "x"), ("service.name", "x")])).is_empty());
    }

    #[test]
    fn a_raw_path_in_a_span_name_is_high_cardinality() {
        let expected = Document {
            traces: vec![Trace { request: None, spans: vec![span("GET /distance/{place}")] }],
            ..Document::default()
        };
        let actual = Document {
            traces: vec![Trace { request: None, spans: vec![span("GET /distance/paris")] }],
            ..Document::default()
        };
        let causes = likely_causes(&expected, &actual);
        assert!(
            causes.iter().any(|c| c.contains("contains the raw path") && c.contains("`GET /distance/{place}`")),
            "{causes:?}"
        );
    }

    #[test]
    fn a_parent_that_was_never_ended_is_explained() {
        let mut orphan = Span::new("fetch", SpanKind::Client);
        orphan.parent = Some(ParentLink::Missing);
        let actual = Document { traces: vec![Trace { request: None, spans: vec![orphan] }], ..Document::default() };
        let causes = likely_causes(&Document::default(), &actual);
        assert!(causes.iter().any(|c| c.contains("never exported") && c.contains("not ended")), "{causes:?}");
        // A server span's parent comes from headers: not a span left unended.
        let mut server = span("GET /position");
        server.parent = Some(ParentLink::Missing);
        let actual = Document { traces: vec![Trace { request: None, spans: vec![server] }], ..Document::default() };
        assert!(likely_causes(&Document::default(), &actual).iter().all(|c| !c.contains("not ended")));
    }

    #[test]
    fn nothing_exported_says_what_usually_causes_it() {
        let expected =
            Document { traces: vec![Trace { request: None, spans: vec![span("x")] }], ..Document::default() };
        let causes = likely_causes(&expected, &Document::default());
        assert!(causes[0].starts_with("Nothing at all was exported"), "{causes:?}");
    }

    #[test]
    fn sdk_logs_leaking_into_the_learner_s_logs_are_flagged() {
        let log = |target: &str| telemetry_document::LogRecord {
            event_name: None,
            severity: Some("DEBUG".into()),
            body: None,
            scope: Scope::default(),
            attributes: Attributes::new(),
            span: None,
            outside_span: false,
            target: Some(target.into()),
        };
        let expected = Document { logs: vec![log("ex10_log_bridging::app")], ..Document::default() };
        let actual = Document {
            logs: vec![log("ex10_log_bridging::app"), log("opentelemetry_sdk"), log("h2::codec")],
            ..Document::default()
        };
        let causes = likely_causes(&expected, &actual);
        assert!(causes.iter().any(|c| c.starts_with("2 log record(s) come from the OpenTelemetry SDK")), "{causes:?}");
    }

    #[test]
    fn a_setup_error_on_stderr_is_shown() {
        let actual = Document {
            stderr: vec![
                "noise".into(),
                "log records are not bridged: attempted to set a logger after the logging system was already initialized"
                    .into(),
            ],
            ..Document::default()
        };
        let causes = likely_causes(&Document::default(), &actual);
        assert!(
            causes
                .iter()
                .any(|c| c.starts_with("the service printed on stderr while it ran: `log records are not bridged")),
            "{causes:?}"
        );
        assert!(causes.iter().all(|c| !c.contains("noise")), "{causes:?}");
    }

    fn at_shutdown(signal: &str) -> Document {
        Document {
            delivery: [(signal.to_string(), telemetry_document::Delivery::AtShutdown)].into_iter().collect(),
            ..Document::default()
        }
    }

    /// Exercise 8's starter: a metrics pipeline given and shut down, nothing recorded.
    fn metrics_at_shutdown() -> Document {
        Document {
            delivery: [("metrics".to_string(), telemetry_document::Delivery::AtShutdown)].into_iter().collect(),
            ..Document::default()
        }
    }

    fn shut_down(signals: &[(&str, bool)]) -> Box<telemetry_document::CaptureFacts> {
        Box::new(telemetry_document::CaptureFacts {
            shut_down: Some(signals.iter().map(|(s, done)| (s.to_string(), *done)).collect()),
            in_memory: vec![],
            ..Default::default()
        })
    }

    #[test]
    fn shutdown_is_blamed_only_when_the_capture_does_not_rule_it_out() {
        let expected = at_shutdown("logs");
        let unknown = likely_causes(&expected, &Document::default());
        assert!(unknown.iter().any(|c| c.contains("If your code does record them, the logger provider was not shut")));

        let done = Document { capture_facts: shut_down(&[("logs", true)]), ..Document::default() };
        let causes = likely_causes(&expected, &done);
        assert_eq!(causes.len(), 1, "{causes:?}");
        assert!(causes[0].contains("though the logger provider was shut down on the way out"), "{causes:?}");
        assert!(causes[0].contains("a record is exported once a bridge emits it"), "{causes:?}");
        assert!(!causes[0].contains("was not shut down"), "{causes:?}");

        let not_done = Document { capture_facts: shut_down(&[("logs", false)]), ..Document::default() };
        let causes = likely_causes(&expected, &not_done);
        assert!(causes[0].starts_with("log records never reached the exporter: the logger provider was not shut down"));

        // Metrics: the comparison's own line already says that the provider was shut down.
        let metrics = Document { capture_facts: shut_down(&[("metrics", true)]), ..Document::default() };
        assert!(likely_causes(&metrics_at_shutdown(), &metrics).is_empty());
    }

    #[test]
    fn over_the_wire_a_refusal_is_the_only_cause_said() {
        let mut expected = metrics_at_shutdown();
        expected.traces = vec![Trace { request: None, spans: vec![span("GET /x")] }];
        for refusal in [
            "refused an export of metrics with 401: it did not carry the header",
            "refused an export of metrics with 415: its body was compressed with `zstd`",
            "refused an export of metrics that came over grpc while `OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf`",
            "received no export of metrics: nothing was sent to /v1/metrics",
        ] {
            let actual = Document {
                refused: [("metrics", refusal), ("traces", "received no export of traces")]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                ..Document::default()
            };
            let causes = likely_causes(&expected, &actual);
            assert!(causes.is_empty(), "{refusal}: the collector's line says it all: {causes:?}");
        }
    }

    #[test]
    fn the_in_memory_exporters_still_in_place_over_the_wire_are_named() {
        let mut expected = metrics_at_shutdown();
        expected.traces = vec![Trace { request: None, spans: vec![span("GET /x")] }];
        let actual = Document {
            refused: ["traces", "metrics", "logs"]
                .into_iter()
                .map(|s| (s.to_string(), format!("received no export of {s}: the service still gives ...")))
                .collect(),
            capture_facts: Box::new(telemetry_document::CaptureFacts {
                shut_down: Some([("traces".to_string(), true), ("metrics".to_string(), true)].into_iter().collect()),
                in_memory: vec!["traces".into(), "metrics".into()],
                ..Default::default()
            }),
            ..Document::default()
        };
        let causes = likely_causes(&expected, &actual);
        assert_eq!(causes.len(), 1, "{causes:?}");
        assert!(
            causes[0].starts_with(
                "the service still exports its traces and metrics to the lab's in-memory exporters (`edge.spans`, \
                 `edge.metrics`), not over OTLP"
            ),
            "{causes:?}"
        );
        assert!(causes.iter().all(|c| !c.contains("shut down")), "{causes:?}");
    }

    #[test]
    fn nothing_exported_with_no_exporter_ever_shut_down_names_the_missing_exporter() {
        let expected =
            Document { traces: vec![Trace { request: None, spans: vec![span("GET /x")] }], ..Document::default() };
        let never =
            Document { capture_facts: shut_down(&[("traces", false), ("metrics", false)]), ..Document::default() };
        let causes = likely_causes(&expected, &never);
        assert!(causes[0].contains("none of the lab's exporters was ever shut down"), "{causes:?}");
        assert!(!causes[0].contains("dropped or shut down before"), "ruled out by the capture: {causes:?}");
        let once = Document { capture_facts: shut_down(&[("traces", true)]), ..Document::default() };
        assert!(likely_causes(&expected, &once)[0].contains("dropped or shut down before the requests ran"));
    }

    #[test]
    fn globals_the_setup_never_registered_are_named() {
        let mut remote = span("GET /position");
        remote.parent = Some(telemetry_document::ParentLink::Remote);
        let expected = Document { traces: vec![Trace { request: None, spans: vec![remote] }], ..Document::default() };
        let facts = |fields: &[&str], global: bool| {
            Box::new(telemetry_document::CaptureFacts {
                propagator_fields: Some(fields.iter().map(|f| f.to_string()).collect()),
                global_subscriber: Some(global),
                ..Default::default()
            })
        };
        let unset = Document { capture_facts: facts(&[], true), ..Document::default() };
        assert!(likely_causes(&expected, &unset)[0].starts_with("No propagator is registered"));
        let set = Document { capture_facts: facts(&["traceparent", "tracestate"], true), ..Document::default() };
        assert!(likely_causes(&expected, &set).iter().all(|c| !c.contains("propagator")));

        let log = telemetry_document::LogRecord {
            event_name: None,
            severity: Some("INFO".into()),
            body: None,
            scope: Scope::default(),
            attributes: Attributes::new(),
            span: None,
            outside_span: false,
            target: None,
        };
        let expected = Document { logs: vec![log.clone(), log.clone()], ..Document::default() };
        let thread_only = Document { logs: vec![log.clone()], capture_facts: facts(&[], false), ..Document::default() };
        assert!(likely_causes(&expected, &thread_only).iter().any(|c| c.contains("set_global_default")));
        let global = Document { logs: vec![log], capture_facts: facts(&[], true), ..Document::default() };
        assert!(likely_causes(&expected, &global).iter().all(|c| !c.contains("set_global_default")));
    }
}
