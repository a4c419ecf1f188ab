//! Log records: in order, by severity and body.

use similar::{Algorithm, DiffOp, capture_diff_slices};
use telemetry_document::{LogRecord, Trace};

use super::traces::{Pipeline, Renumber};
use super::{Diffs, Kind, Signal, attributes};

fn log_label(record: &LogRecord) -> String {
    let body = record.body.as_ref().map(|b| b.to_string()).unwrap_or_else(|| "(no body)".into());
    format!("{} {body}", record.severity.as_deref().unwrap_or("(no severity)"))
}

pub(super) fn logs(
    out: &mut Diffs,
    expected: &[LogRecord],
    actual: &[LogRecord],
    renumber: &Renumber,
    pipeline: Pipeline,
    traces: (&[Trace], &[Trace]),
) {
    let l = Signal::Logs;
    if actual.is_empty() && !expected.is_empty() {
        let batch = if pipeline.logs_shut_down {
            // The capture shows the logger provider shut down: nothing was held back.
            ""
        } else if pipeline.batched {
            " Or a batch processor was never flushed: the logger provider must be shut down on the way out \
             (a batch processor holds its records until then)."
        } else {
            " Or, with a batch processor, the logger provider was never shut down on the way out (it holds its \
             records until then)."
        };
        out.add(
            l,
            Kind::Nothing,
            format!(
                "no log records were exported. Usually the logger provider has no exporter, is not handed to \
                 `Telemetry::with_logger_provider`, or no bridge (appender) forwards tracing/log records to it.{batch}"
            ),
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
                        traces,
                    );
                }
            }
            DiffOp::Delete { old_index, old_len, .. } => {
                for label in &e_labels[old_index..old_index + old_len] {
                    out.add(l, Kind::RecordMissing, format!("log record `{label}` is missing"));
                }
            }
            DiffOp::Insert { new_index, new_len, .. } => {
                for ai in new_index..new_index + new_len {
                    let (kind, text) = unexpected(&a_labels[ai], &actual[ai]);
                    out.add(l, kind, text);
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
                                Kind::RecordSeverity,
                                format!(
                                    "log record `{}` has severity {}; expected {}",
                                    e_labels[ei],
                                    show(&actual[ai].severity),
                                    show(&expected[ei].severity)
                                ),
                            );
                            log_record(out, &e_labels[ei], &expected[ei], &actual[ai], renumber, traces);
                        }
                        None => out.add(l, Kind::RecordMissing, format!("log record `{}` is missing", e_labels[ei])),
                    }
                }
                for ai in extra {
                    let (kind, text) = unexpected(&a_labels[ai], &actual[ai]);
                    out.add(l, kind, text);
                }
            }
        }
    }
}

/// A record nobody expected; below INFO, the level is what let it in.
fn unexpected(label: &str, record: &LogRecord) -> (Kind, String) {
    match record.severity.as_deref() {
        Some("DEBUG" | "TRACE") => (
            Kind::RecordBelowLevel,
            format!(
                "log record `{label}` is not expected: the service keeps INFO and above by default, which keeps the \
             DEBUG and TRACE chatter of other crates out of its logs (set the filter's default level to INFO)"
            ),
        ),
        _ => (Kind::RecordUnexpected, format!("log record `{label}` is not expected")),
    }
}

/// A span path as a learner reads it: `` `GET /x > GET` in the trace of the 404 request
/// `GET /x` `` when the trace has a request, else the path itself.
fn show_path(path: &str, traces: &[Trace]) -> String {
    let named = path.strip_prefix("trace ").and_then(|rest| {
        let (number, within) = rest.split_once(" > ")?;
        let number: usize = number.parse().ok()?;
        let trace = traces.get(number.checked_sub(1)?)?;
        trace.request.as_ref()?;
        Some(format!("`{within}` in the trace of {}", super::plain_label(trace, number)))
    });
    named.unwrap_or_else(|| format!("`{path}`"))
}

fn log_record(
    out: &mut Diffs,
    label: &str,
    e: &LogRecord,
    a: &LogRecord,
    renumber: &Renumber,
    (expected_traces, actual_traces): (&[Trace], &[Trace]),
) {
    let l = Signal::Logs;
    if e.span != a.span.as_deref().map(|p| renumber.path(p)) {
        // Learners see their own path; one in a trace the snapshot lacks is said to be so.
        let got = a.span.as_deref().map(|p| {
            let shown = show_path(p, actual_traces);
            if renumber.path(p).starts_with("emitted ") {
                format!("{shown} (a trace the expected telemetry does not have)")
            } else {
                shown
            }
        });
        let want = e.span.as_deref().map(|p| show_path(p, expected_traces));
        let text = match (&want, &got) {
            (Some(want), None) => format!(
                "log record `{label}` carries no trace context; expected the ids of {want} (emit it while that span is active)"
            ),
            (None, Some(got)) => format!("log record `{label}` carries the ids of {got}; expected no trace context"),
            (Some(want), Some(got)) => format!("log record `{label}` carries the ids of {got}; expected {want}"),
            (None, None) => unreachable!("equal spans are not reported"),
        };
        out.add(l, Kind::RecordSpan, text);
    } else if a.outside_span
        && !e.outside_span
        && let Some(path) = a.span.as_deref()
    {
        out.add(
            l,
            Kind::RecordOutsideSpan,
            format!(
                "log record `{label}` carries the ids of {}, but was written after that span ended (or before it \
                 started): a record belongs to the work its span covers, so keep the span open until the record is \
                 written (end it afterwards)",
                show_path(path, actual_traces)
            ),
        );
    }
    if e.scope != a.scope {
        out.add(
            l,
            Kind::Scope,
            format!("log record `{label}` comes from the logger scope `{}`; expected `{}`", a.scope, e.scope),
        );
    }
    if e.event_name != a.event_name {
        let say = |n: &Option<String>| match n.as_deref() {
            None => "no event name".to_string(),
            Some(LogRecord::SOURCE_LOCATION) => format!(
                "the event name `{}` (the `tracing` bridge's default: the event's source location, for an event \
                 without `name:`)",
                LogRecord::SOURCE_LOCATION
            ),
            Some(name) => format!("the event name `{name}`"),
        };
        out.add(
            l,
            Kind::RecordEventName,
            format!("log record `{label}` has {}; expected {}", say(&a.event_name), say(&e.event_name)),
        );
    }
    attributes(out, l, &format!("log record `{label}`: attribute"), &e.attributes, &a.attributes);
}
