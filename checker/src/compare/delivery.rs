//! When telemetry left the service (batching), and what a second run with the standard
//! sampler variables kept.

use telemetry_document::{Delivery, Document};

use super::{Diffs, Signal};

/// When each signal left the service, as the snapshot's pipeline sends it: held until
/// shutdown (a batch processor, the lesson of exercise 13) or exported as it is produced
/// (the simple processors of the exercises before). Either way round is a difference, said
/// as what the capture saw.
pub(super) fn delivery(out: &mut Diffs, expected: &Document, actual: &Document) {
    for (signal, want) in &expected.delivery {
        let Some(got) = actual.delivery.get(signal) else { continue };
        if got == want {
            continue;
        }
        let (what, place, exporter) = match signal.as_str() {
            "logs" => ("log records", Signal::Logs, "edge.logs"),
            "metrics" => ("metrics", Signal::Metrics, "edge.metrics"),
            "position traces" => ("the position service's spans", Signal::Traces, "edge.position_spans"),
            _ => ("spans", Signal::Traces, "edge.spans"),
        };
        if *want == Delivery::BeforeShutdown {
            let how = if *got == Delivery::AtShutdown { "all of them" } else { "some of them" };
            out.add(
                place,
                format!(
                    "{what} reached the exporter only when the service shut down ({how}), not as each was \
                     produced: they were held by a batch processor. This exercise's pipeline exports each one at \
                     once, with a simple processor (`.with_simple_exporter({exporter})`); batching is the lesson of \
                     a later exercise."
                ),
            );
            continue;
        }
        if *want != Delivery::AtShutdown {
            continue;
        }
        let how = if *got == Delivery::BeforeShutdown { "all of them" } else { "some of them" };
        out.add(
            place,
            format!(
                "{what} were exported while the service ran ({how}, before it shut down); expected them held and \
                 exported in batches: a simple processor exports on the request's own path, one export per item. Use \
                 a batch processor (`.with_batch_exporter(...)`) and shut the provider down on the way out."
            ),
        );
    }
}

/// The second run: every request the snapshot's run traced must be traced, and no other.
pub(super) fn env_capture(out: &mut Diffs, expected: &Document, actual: &Document) {
    let Some(want) = &expected.env_capture else { return };
    let t = Signal::Traces;
    let env = want.env.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(" and ");
    let Some(got) = &actual.env_capture else {
        out.add(t, format!("the service was not run again with {env}"));
        return;
    };
    if let Some(why) = &got.failed {
        out.add(t, format!("the service, run again with {env}, gave no telemetry: {why}"));
        return;
    }
    let missing: Vec<&String> = want.traced.iter().filter(|r| !got.traced.contains(r)).collect();
    let extra: Vec<&String> = got.traced.iter().filter(|r| !want.traced.contains(r)).collect();
    if !missing.is_empty() {
        let list = missing.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ");
        out.add(
            t,
            format!(
                "run again with {env}, the service left no trace for {list}: its sampler does not honour the \
                 standard variables (read `OTEL_TRACES_SAMPLER_ARG` for the ratio, the code's value only as the \
                 default)."
            ),
        );
    }
    if !extra.is_empty() {
        let list = extra.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ");
        out.add(t, format!("run again with {env}, the service traced {list}; expected no trace for them"));
    }
}

/// Exercise 19 (captures over the wire): what the capture's collector refused, or never
/// received. That telemetry is also missing from the document; this says why, first.
pub(super) fn refused(out: &mut Diffs, expected: &Document, actual: &Document) {
    for (what, why) in &actual.refused {
        if expected.refused.get(what) == Some(why) {
            continue;
        }
        let place = match what.as_str() {
            "logs" => Signal::Logs,
            "metrics" => Signal::Metrics,
            _ => Signal::Traces,
        };
        out.add(place, format!("the collector {why}"));
    }
}
