//! The comparison's rules, one difference at a time, as a learner reads them.

use super::*;
use metrics::SDK_DEFAULT_BOUNDS;
use telemetry_document::{DataPoint, LogRecord, Magnitude, Metric, Span, TimeFact, Trace, Value};
use telemetry_document::{Event, MetricKind, ParentLink, Scope, SpanKind, Status};

fn span(name: &str, kind: SpanKind, children: Vec<Span>) -> Span {
    let scope = Scope { name: "iss-distance".into(), version: Some("0.1.0".into()) };
    Span { scope, children, ..Span::new(name, kind) }
}

/// A server span with a client child, as most exercises expect.
fn request() -> Span {
    let mut server = span("GET /distance/{place}", SpanKind::Server, vec![span("GET", SpanKind::Client, vec![])]);
    server.attributes.insert("app.place".into(), Value::String("paris".into()));
    server.events.push(Event { name: "place.resolved".into(), attributes: Attributes::new(), at: None });
    server
}

fn traces(spans: Vec<Span>) -> Document {
    Document {
        traces: spans.into_iter().map(|s| Trace { request: None, spans: vec![s] }).collect(),
        ..Document::default()
    }
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
    assert!(t[0].starts_with("2 traces were exported; expected 3: no trace for trace 2."), "{t:?}");
    assert!(t[0].contains("never started or never ended"), "no sampler here, so no sampler cause: {t:?}");
    assert!(t.iter().all(|l| !l.contains("is \"tokyo\"; expected")), "tokyo meets tokyo, not lima: {t:?}");
    let kept_too_many = texts(&actual, &expected);
    assert!(kept_too_many[0].contains("these traces are not expected: trace 2"), "{kept_too_many:?}");
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
    assert!(text.starts_with("span `GET` has no parent: it is the root of its own trace (`trace 2 > GET`)"), "{text}");
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
        one(&expected, &with("app.place", Value::String("lima".into()))).contains("is \"lima\"; expected \"paris\"")
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
        magnitude: None,
        min_max: None,
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
    assert!(one(&expected, &requests(MetricKind::Counter, "1", good())).contains("has unit `1`; expected `{request}`"));
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
        let point = DataPoint { attributes: Attributes::new(), value: None, count: Some(count), bounds: Some(bounds) };
        metrics_doc(vec![metric("http.server.request.duration", MetricKind::Histogram, "s", vec![point])])
    };
    let expected = histogram(3, vec![0.1, 1.0]);
    assert!(one(&expected, &histogram(2, vec![0.1, 1.0])).contains("count is 2; expected 3"));
    assert!(one(&expected, &histogram(3, vec![100.0])).contains("has bucket boundaries [100.0]; expected [0.1, 1.0]"));
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
        event_name: None,
        severity: Some(severity.into()),
        body: Some(Value::String(body.into())),
        scope: Scope::default(),
        attributes: Attributes::new(),
        span: span.map(str::to_string),
        outside_span: false,
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

fn made_by(request: &str, span: Span) -> Trace {
    Trace { request: Some(request.into()), spans: vec![span] }
}

#[test]
fn traces_are_named_by_the_request_that_made_them() {
    let paris = made_by("GET /distance/paris -> 200", request());
    let atlantis = made_by("GET /distance/atlantis -> 404", request());
    let expected = Document { traces: vec![paris.clone(), atlantis.clone()], ..Document::default() };
    let mut bare = request();
    bare.children.clear();
    let actual =
        Document { traces: vec![paris, Trace { spans: vec![bare], ..atlantis.clone() }], ..Document::default() };
    assert_eq!(
        one(&expected, &actual),
        "span `GET /distance/{place} > GET` (client) is missing (in the trace of the 404 request `GET /distance/atlantis`)"
    );
    let only_paris = Document { traces: vec![expected.traces[0].clone()], ..Document::default() };
    let t = texts(&expected, &only_paris);
    assert!(t[0].contains("no trace for the 404 request `GET /distance/atlantis`"), "{t:?}");
}

#[test]
fn spans_that_lost_their_context_during_a_request_are_its_orphans() {
    // Two requests; in each, the client span started a trace of its own (a spawned task
    // without the context): the server trace is still the request's, and each orphan is
    // named in the trace of its own request, never compared with another request's.
    let paris = made_by("GET /distance/paris -> 200", request());
    let mut tokyo = made_by("GET /distance/tokyo -> 502", request());
    tokyo.spans[0].children[0].status = Status::Error { description: "unreachable".into() };
    let expected = Document { traces: vec![paris.clone(), tokyo.clone()], ..Document::default() };
    let split = |trace: &Trace| {
        let mut server = trace.clone();
        let client = server.spans[0].children.remove(0);
        [server, Trace { spans: vec![client], ..trace.clone() }]
    };
    let actual = Document { traces: [split(&paris), split(&tokyo)].concat(), ..Document::default() };
    let text = one(&expected, &actual);
    assert_eq!(
        text,
        "span `GET` has no parent: it is the root of its own trace (`GET`); expected it under `GET /distance/{place}`. \
         Start it inside its parent's context, carried to where it starts: into a future with `.with_context(cx)`; \
         into a closure that runs elsewhere (`spawn_blocking`, a thread) with `let _guard = cx.attach();` inside it, \
         kept until the work is done (a closure is not a future). (in the traces of the 200 request `GET /distance/paris`, the 502 request `GET /distance/tokyo`)"
    );
}

#[test]
fn the_same_difference_in_several_requests_is_one_line() {
    let at = |r: &str, s: Span| made_by(r, s);
    let mut quiet = request();
    quiet.events.clear();
    let expected = Document {
        traces: vec![at("GET /a -> 200", request()), at("GET /b -> 502", request())],
        ..Document::default()
    };
    let actual = Document {
        traces: vec![at("GET /a -> 200", quiet.clone()), at("GET /b -> 502", quiet)],
        ..Document::default()
    };
    assert_eq!(
        one(&expected, &actual),
        "span `GET /distance/{place}` has no event `place.resolved` (in the traces of the 200 request `GET /a`, \
         the 502 request `GET /b`)"
    );
}

#[test]
fn time_facts_missing_are_named() {
    let mut timed = request();
    timed.time = vec![TimeFact::CoversCall];
    timed.children[0].time = vec![TimeFact::WithinParent, TimeFact::CoversCall];
    let mut early = timed.clone();
    early.children[0].time = vec![TimeFact::WithinParent];
    let t = one(&traces(vec![timed.clone()]), &traces(vec![early]));
    assert!(
        t.contains("span `trace 1 > GET /distance/{place} > GET` ended before the call it describes returned"),
        "{t}"
    );
    let mut server_early = timed.clone();
    server_early.time.clear();
    server_early.children[0].time = vec![TimeFact::CoversCall];
    let t = texts(&traces(vec![timed]), &traces(vec![server_early]));
    assert!(t.iter().any(|l| l.contains("ended before the work of its request was done")), "{t:?}");
    assert!(t.iter().any(|l| l.contains("does not lie within its parent")), "{t:?}");
}

#[test]
fn pipeline_facts_resources_delivery_and_the_second_run() {
    let mut expected = Document::default();
    expected.resource.insert("service.name".into(), Value::String("iss-distance".into()));
    expected.delivery.insert("traces".into(), Delivery::AtShutdown);
    expected.env_captures = vec![telemetry_document::EnvCapture {
        env: vec!["OTEL_TRACES_SAMPLER=parentbased_always_on".into()],
        traced: vec!["GET /a -> 200".into()],
        resource: None,
        failed: None,
        refused: Default::default(),
        sdk_warned: false,
    }];
    let mut actual = expected.clone();
    actual.resources.insert(
        "metrics".into(),
        [("service.name".to_string(), Value::String("unknown_service:ex".into()))].into_iter().collect(),
    );
    actual.delivery.insert("traces".into(), Delivery::BeforeShutdown);
    actual.delivery.insert("metrics".into(), Delivery::AtShutdown);
    actual.env_captures[0].traced.clear();
    let t = texts(&expected, &actual);
    assert!(
        t.iter().any(|l| l.starts_with("the metrics' resource: attribute `service.name` is \"unknown_service:ex\"")),
        "{t:?}"
    );
    assert!(t.iter().any(|l| l.contains("give the meter provider the service's resource")), "{t:?}");
    assert!(
        t.iter().any(|l| l.starts_with("spans were exported while the service ran") && l.contains("batch processor")),
        "{t:?}"
    );
    assert!(
        t.iter().any(|l| l.contains("left no trace for `GET /a -> 200`") && l.contains("OTEL_TRACES_SAMPLER_ARG")),
        "{t:?}"
    );
    // A signal that exported nothing has no resource to differ.
    let mut silent = actual.clone();
    silent.delivery.remove("metrics");
    assert!(texts(&expected, &silent).iter().all(|l| !l.contains("resource")), "{t:?}");
}

#[test]
fn batching_where_the_exercise_exports_at_once_is_said_as_such() {
    // Exercise 2 with `.with_batch_exporter`: the same spans, all of them at shutdown.
    let mut simple = traces(vec![request()]);
    simple.delivery.insert("traces".into(), Delivery::BeforeShutdown);
    let mut batched = simple.clone();
    batched.delivery.insert("traces".into(), Delivery::AtShutdown);
    let t = one(&simple, &batched);
    assert!(
        t.starts_with(
            "spans reached the exporter only when the service shut down (all of them), not as each was produced"
        ),
        "{t}"
    );
    assert!(t.contains("`.with_simple_exporter(edge.spans)`"), "{t}");
    assert!(!t.contains("order only"), "{t}");
    let mut partly = simple.clone();
    partly.delivery.insert("logs".into(), Delivery::BeforeShutdown);
    let mut got = partly.clone();
    got.delivery.insert("logs".into(), Delivery::Partly);
    let t = texts(&partly, &got);
    assert_eq!(t.len(), 1, "{t:?}");
    assert!(
        t[0].starts_with("log records reached the exporter only when the service shut down (some of them)"),
        "{t:?}"
    );
    assert!(t[0].contains("`.with_simple_exporter(edge.logs)`"), "{t:?}");
}

#[test]
fn a_trace_a_message_starts_is_named_by_its_consumer_span() {
    // Exercise 17: the request's trace is there; the job's, which the service starts
    // itself when it processes the queued message, is not.
    let mut job = Span::new("process iss.sightings", SpanKind::Consumer);
    job.scope = request().scope;
    let expected = Document {
        traces: vec![made_by("GET /distance/paris -> 200", request()), made_by("GET /distance/paris -> 200", job)],
        ..Document::default()
    };
    let actual = Document { traces: vec![expected.traces[0].clone()], ..Document::default() };
    let t = texts(&expected, &actual);
    assert!(
        t[0].starts_with(
            "1 traces were exported; expected 2: no trace for `process iss.sightings` (consumer), for a message sent \
             during the 200 request `GET /distance/paris`. The service starts such a trace itself when it processes \
             the message"
        ),
        "{t:?}"
    );
    assert!(!t[0].contains("sampler"), "no sampler in this pipeline: {t:?}");
    assert!(
        t.iter().any(|l| l
            == "span `process iss.sightings` (consumer) is missing (in the trace of `process \
             iss.sightings` (consumer), for a message sent during the 200 request `GET /distance/paris`)"),
        "{t:?}"
    );
}

#[test]
fn a_batch_processor_the_capture_saw_shut_down_is_not_offered_as_a_cause() {
    let at = |place: &str| {
        let mut s = request();
        s.attributes.insert("app.place".into(), Value::String(place.into()));
        s
    };
    let mut expected = traces(vec![at("paris"), at("lima")]);
    expected.delivery.insert("traces".into(), Delivery::AtShutdown);
    let mut actual = traces(vec![at("paris")]);
    actual.delivery.insert("traces".into(), Delivery::AtShutdown);
    assert!(texts(&expected, &actual)[0].contains("a batch processor was not flushed"), "the capture does not say");
    actual.capture_facts.shut_down = Some([("traces".to_string(), true)].into_iter().collect());
    let t = texts(&expected, &actual)[0].clone();
    assert!(!t.contains("batch processor"), "{t}");
    assert!(t.contains("never started or never ended"), "{t}");
}

#[test]
fn milliseconds_in_a_histogram_in_seconds() {
    let histogram = |magnitude| {
        let point = DataPoint { attributes: Attributes::new(), value: None, count: Some(1), bounds: Some(vec![1.0]) };
        let mut m = metric("http.server.request.duration", MetricKind::Histogram, "s", vec![point]);
        m.magnitude = Some(magnitude);
        metrics_doc(vec![m])
    };
    assert!(
        one(&histogram(Magnitude::Seconds), &histogram(Magnitude::LargerThanSeconds))
            .contains("the durations look like milliseconds")
    );
}

#[test]
fn a_log_record_s_event_name() {
    let mut named = log("ERROR", "failed", None);
    named.event_name = Some("http.server.request.exception".into());
    let mut located = named.clone();
    located.event_name = Some(LogRecord::SOURCE_LOCATION.into());
    let t = one(&logs_doc(vec![named]), &logs_doc(vec![located]));
    assert!(t.contains("has the event name `event <file>:<line>`"), "{t}");
    assert!(t.contains("expected the event name `http.server.request.exception`"), "{t}");
}

#[test]
fn a_log_record_names_the_trace_of_its_span_by_request() {
    let expected = Document {
        logs: vec![log("INFO", "resolved", Some("trace 1 > GET /distance/{place}"))],
        traces: vec![made_by("GET /distance/paris -> 200", request())],
        ..Document::default()
    };
    let actual = Document { logs: vec![log("INFO", "resolved", None)], ..expected.clone() };
    assert_eq!(
        one(&expected, &actual),
        "log record `INFO \"resolved\"` carries no trace context; expected the ids of `GET /distance/{place}` in \
         the trace of the 200 request `GET /distance/paris` (emit it while that span is active)"
    );
}

#[test]
fn a_route_is_the_method_and_the_first_path_segment() {
    assert_eq!(super::route_of("GET /distance/paris -> 200"), "GET /distance");
    assert_eq!(super::route_of("GET /distance/nairobi (with a sampled traceparent) -> 502"), "GET /distance");
    assert_eq!(super::route_of("GET /places -> 200"), "GET /places");
    assert_eq!(super::route_of("GET /health -> 200"), "GET /health");
}

#[test]
fn durations_too_small_and_histograms_without_min_and_max() {
    let histogram = |magnitude, min_max| {
        let point = DataPoint { attributes: Attributes::new(), value: None, count: Some(1), bounds: Some(vec![1.0]) };
        let mut m = metric("db.client.operation.duration", MetricKind::Histogram, "s", vec![point]);
        m.magnitude = Some(magnitude);
        m.min_max = min_max;
        metrics_doc(vec![m])
    };
    let small = one(&histogram(Magnitude::Seconds, None), &histogram(Magnitude::SmallerThanSeconds, None));
    assert!(small.contains("the durations are far too small") && small.contains("as_secs()"), "{small}");
    let bare = one(&histogram(Magnitude::Seconds, None), &histogram(Magnitude::Seconds, Some(false)));
    assert!(bare.contains("its points have no min and max; expected a min and a max"), "{bare}");
}

#[test]
fn a_span_that_was_never_current_and_an_event_out_of_place() {
    let mut expected = request();
    expected.time.push(TimeFact::CurrentAtLookup);
    expected.events[0].at = Some("after the place lookup, before the position call".into());
    let mut actual = expected.clone();
    actual.time.retain(|f| *f != TimeFact::CurrentAtLookup);
    actual.events.last_mut().unwrap().at = Some("after the position call".into());
    let t = texts(&traces(vec![expected]), &traces(vec![actual]));
    assert!(t.iter().any(|l| l.contains("was not the current span when the place was looked up")), "{t:?}");
    assert!(
        t.iter().any(|l| l.contains(
            "event `place.resolved` was recorded after the position call; expected after the place lookup, before \
             the position call"
        )),
        "{t:?}"
    );
}

#[test]
fn the_operator_s_variables_in_a_run_of_their_own() {
    let run = |env: &str, traced: &[&str], name: &str| telemetry_document::EnvCapture {
        env: vec![env.into()],
        traced: traced.iter().map(|t| t.to_string()).collect(),
        resource: Some([("service.name".to_string(), Value::String(name.into()))].into_iter().collect()),
        failed: None,
        refused: Default::default(),
        sdk_warned: false,
    };
    let expected = Document {
        env_captures: vec![
            run("OTEL_SERVICE_NAME=eu", &[], "eu"),
            run("OTEL_TRACES_SAMPLER_ARG=1", &["GET /a -> 200"], "eu"),
        ],
        ..Document::default()
    };
    let actual = Document {
        env_captures: vec![
            run("OTEL_SERVICE_NAME=eu", &[], "iss-distance"),
            run("OTEL_TRACES_SAMPLER_ARG=1", &["GET /a -> 200", "GET /b -> 404"], "eu"),
        ],
        ..Document::default()
    };
    let t = texts(&expected, &actual);
    assert!(
        t.iter().any(|l| l.contains("resource attribute `service.name` is \"iss-distance\"; expected \"eu\"")
            && l.contains("must win over the code's defaults")),
        "{t:?}"
    );
    assert!(
        t.iter().any(|l| l.contains("traced `GET /b -> 404`") && l.contains("The argument alone changes nothing")),
        "{t:?}"
    );
}

#[test]
fn a_run_over_the_wire_under_the_operator_s_protocol_says_what_its_collector_refused() {
    let traced = vec!["GET /a -> 200".to_string()];
    let grpc = |traced: Vec<String>, refused: &[(&str, &str)]| telemetry_document::EnvCapture {
        env: vec!["OTEL_EXPORTER_OTLP_PROTOCOL=grpc".into()],
        traced,
        refused: refused.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        ..Default::default()
    };
    let expected = Document { env_captures: vec![grpc(traced.clone(), &[])], ..Document::default() };
    // The transport fixed in code: nothing arrived there, which the collector says, and no
    // sampler is blamed for the missing traces.
    let actual = Document {
        env_captures: vec![grpc(vec![], &[("traces", "received no export of traces: nothing was sent")])],
        ..Document::default()
    };
    let t = texts(&expected, &actual);
    assert_eq!(
        t,
        vec![
            "run again with `OTEL_EXPORTER_OTLP_PROTOCOL=grpc`, the collector received no export of traces: nothing \
             was sent"
        ],
        "{t:?}"
    );
    // The other way round: a signal arrived where the reference's did not.
    let t = texts(&actual, &expected);
    assert!(
        t.iter()
            .any(|l| l.starts_with("run again with `OTEL_EXPORTER_OTLP_PROTOCOL=grpc`, traces reached the collector")),
        "{t:?}"
    );
    assert!(t.iter().all(|l| !l.contains("sampler")), "{t:?}");
}

#[test]
fn the_sdk_s_warning_must_reach_stderr_under_a_bad_value() {
    let run = |warned: bool| telemetry_document::EnvCapture {
        env: vec!["OTEL_TRACES_SAMPLER_ARG=half".into()],
        traced: vec!["GET /a -> 200".into()],
        resource: None,
        failed: None,
        refused: Default::default(),
        sdk_warned: warned,
    };
    let expected = Document { env_captures: vec![run(true)], ..Document::default() };
    let silenced = Document { env_captures: vec![run(false)], ..Document::default() };
    let t = texts(&expected, &silenced);
    assert!(
        t.iter().any(|l| l.contains("`OTEL_TRACES_SAMPLER_ARG=half`, the SDK's warnings never reached stderr")
            && l.contains("Keep a diagnostics layer beside the bridge")),
        "{t:?}"
    );
    assert!(texts(&expected, &expected).is_empty());
    // A warning the snapshot does not have is no difference: the service may say more.
    assert!(texts(&silenced, &expected).is_empty());
    // A run that traced otherwise never let the SDK read the value: that message, not this one.
    let mut ignored = silenced.clone();
    ignored.env_captures[0].traced.push("GET /b -> 200".into());
    assert!(!texts(&expected, &ignored).iter().any(|l| l.contains("never reached stderr")));
    // What the harness reads on stderr: the SDK's event, whatever the layer's format.
    let line = r#"2026-12-05T07:00:00Z  WARN opentelemetry_sdk: name="TracerProvider.Config.InvalidSamplerArgument""#;
    assert!(telemetry_document::sdk_warned([line].into_iter()));
    assert!(!telemetry_document::sdk_warned(["telemetry: the last spans may be lost"].into_iter()));
}

#[test]
fn nothing_of_a_signal_whose_pipeline_was_shut_down_never_blames_shutdown() {
    // Exercise 8's starter: the meter provider is given and shut down; nothing records.
    let expected = metrics_doc(vec![metric("http.server.requests", MetricKind::Counter, "{request}", vec![])]);
    let mut actual = Document::default();
    assert!(one(&expected, &actual).contains("never shut down"), "the capture does not say");
    actual.capture_facts.shut_down = Some([("metrics".to_string(), true)].into_iter().collect());
    let t = one(&expected, &actual);
    assert!(t.starts_with("no metrics were exported, though the meter provider was shut down"), "{t}");
    assert!(!t.contains("never shut down"), "{t}");
    // Over the wire the collector's line is the only one.
    actual.refused.insert("metrics".into(), "received no export of metrics: ...".into());
    let t = one(&expected, &actual);
    assert!(t.starts_with("the collector received no export of metrics"), "{t}");
}

/// A server span whose method and path it had at creation, as the conventions want.
fn created_with_method_and_path() -> Span {
    let mut server = request();
    for key in ["http.request.method", "url.path"] {
        server.attributes.insert(key.into(), Value::String("x".into()));
        server.at_creation.push(key.into());
    }
    server
}

#[test]
fn attributes_set_after_the_span_started_are_named_together() {
    let mut late = created_with_method_and_path();
    late.at_creation.clear();
    let text = one(&traces(vec![created_with_method_and_path()]), &traces(vec![late]));
    assert!(
        text.starts_with(
            "span `trace 1 > GET /distance/{place}`: attributes `http.request.method`, `url.path` were set after the \
             span started"
        ),
        "{text}"
    );
    assert!(text.contains("a sampler decides as the span starts"), "{text}");
}

#[test]
fn a_missing_attribute_is_not_also_called_late() {
    let mut missing = created_with_method_and_path();
    missing.attributes.remove("url.path");
    missing.at_creation.retain(|k| k != "url.path");
    assert_eq!(
        one(&traces(vec![created_with_method_and_path()]), &traces(vec![missing])),
        "span `trace 1 > GET /distance/{place}`: attribute `url.path` is missing (expected \"x\", of type string)"
    );
}

#[test]
fn a_provider_without_the_starts_processor_is_told_once_not_per_span() {
    let mut unseen = created_with_method_and_path();
    unseen.at_creation.clear();
    let mut actual = traces(vec![unseen.clone(), unseen]);
    actual.capture_facts.starts_unseen = true;
    let expected = traces(vec![created_with_method_and_path(), created_with_method_and_path()]);
    let text = one(&expected, &actual);
    assert!(text.contains("built without the given `.with_span_processor(edge.starts)`"), "{text}");
}

#[test]
fn a_log_record_written_after_its_span_ended_is_told_so() {
    let expected = logs_doc(vec![log("INFO", "recorded", Some("trace 1 > process"))]);
    let mut late = log("INFO", "recorded", Some("trace 1 > process"));
    late.outside_span = true;
    let text = one(&expected, &logs_doc(vec![late]));
    assert!(text.contains("was written after that span ended"), "{text}");
}

#[test]
fn facts_the_solution_does_not_need_are_no_difference() {
    let mut more = created_with_method_and_path();
    more.time.push(TimeFact::CurrentAtQuery);
    more.at_creation.push("url.scheme".into());
    assert!(texts(&traces(vec![created_with_method_and_path()]), &traces(vec![more])).is_empty());
}
