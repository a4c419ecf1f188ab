//! When telemetry left the service (batching), and what a second run with the standard
//! sampler variables kept and said on stderr.

use telemetry_document::{Delivery, Document, EnvCapture};

use super::{Diffs, Kind, Signal};

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
                Kind::DeliveryHeld,
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
            Kind::DeliveryImmediate,
            format!(
                "{what} were exported while the service ran ({how}, before it shut down); expected them held and \
                 exported in batches: a simple processor exports on the request's own path, one export per item. Use \
                 a batch processor (`.with_batch_exporter(...)`) and shut the provider down on the way out."
            ),
        );
    }
}

/// The runs under the operator's variables: in each, every request the snapshot's run
/// traced must be traced, and no other, and the resource must be the snapshot's.
pub(super) fn env_captures(out: &mut Diffs, expected: &Document, actual: &Document) {
    for want in &expected.env_captures {
        let env = want.env.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(" and ");
        let Some(got) = actual.env_captures.iter().find(|got| got.env == want.env) else {
            out.add(Signal::Traces, Kind::EnvNotRun, format!("the service was not run again with {env}"));
            continue;
        };
        if let Some(why) = &got.failed {
            // The exporters' variables: a few bad values are a build error, not a warning.
            let exporter = if want.env.iter().any(|e| e.starts_with("OTEL_EXPORTER_")) {
                "; and an exporter that cannot be built (its `build()` returned an error) is said on stderr, and the \
                 service starts without it, never with a panic"
            } else {
                ""
            };
            out.add(
                Signal::Traces,
                Kind::EnvFailed,
                format!(
                    "the service, run again with {env}, gave no telemetry: {why}. A telemetry setting, even a wrong \
                     one, must never stop the service: leave the standard variables to the SDK, which warns about a \
                     bad value and falls back to its default{exporter}"
                ),
            );
            continue;
        }
        sdk_warned(out, want, got, &env);
        // Over the wire: what its collector refused or never received says why telemetry is
        // missing there (the transport, the token), before which requests were traced.
        if env_refused(out, want, got, &actual.refused, &env) {
            continue;
        }
        // A run under the operator's variables is about what they change: while the capture
        // without them already differs there (other traces, another resource), that is what
        // to fix first, and its differences are listed already.
        let traced_alike = |d: &Document| d.traces.iter().map(|t| t.request.clone()).collect::<Vec<_>>();
        if traced_alike(expected) == traced_alike(actual) {
            traced(out, want, got, &env);
        }
        if expected.resource == actual.resource {
            resource(out, want, got, &env);
        }
    }
}

/// What the collector of a run over the wire under the operator's variables refused or
/// never received, against the snapshot's; whether anything differed. A refusal the run
/// without the variables already had (`first`) is said once, there: it is not what the
/// variables changed.
fn env_refused(
    out: &mut Diffs,
    want: &EnvCapture,
    got: &EnvCapture,
    first: &std::collections::BTreeMap<String, String>,
    env: &str,
) -> bool {
    let place = |what: &str| match what {
        "logs" => Signal::Logs,
        "metrics" => Signal::Metrics,
        _ => Signal::Traces,
    };
    let mut differed = false;
    for (what, why) in &got.refused {
        if want.refused.get(what) != Some(why) {
            if first.get(what) != Some(why) {
                out.add(place(what), Kind::EnvRefused, format!("run again with {env}, the collector {why}"));
            }
            differed = true;
        }
    }
    for (what, why) in &want.refused {
        if !got.refused.contains_key(what) {
            out.add(
                place(what),
                Kind::EnvRefused,
                format!(
                    "run again with {env}, {what} reached the collector; expected none there (the reference's \
                     collector {why})"
                ),
            );
            differed = true;
        }
    }
    differed
}

/// Whether the SDK's warning about a bad value reached the service's stderr. Only a warning
/// the snapshot has is required; one more is no difference (the service may warn of its own).
/// Said only where the run traced what the SDK's fallback traces: otherwise the SDK did not
/// read the value (a sampler that ignores the variables, or parses them itself), and the
/// traced requests' message says so.
fn sdk_warned(out: &mut Diffs, want: &EnvCapture, got: &EnvCapture, env: &str) {
    if want.sdk_warned && !got.sdk_warned && want.traced == got.traced {
        out.add(
            Signal::Traces,
            Kind::EnvSdkSilenced,
            format!(
                "run again with {env}, the SDK's warnings never reached stderr: the SDK warns about a bad value \
                 (and about an export that failed) through `tracing`, under the `opentelemetry` targets, which \
                 the log bridge's filter keeps off. Keep a diagnostics layer beside the bridge: a \
                 `tracing_subscriber::fmt` layer on stderr, filtered to the `opentelemetry` targets at WARN, in \
                 place while the providers are built (exercise 10, \"Off the bridge, not out of sight\"). A sampler \
                 read from the variables by hand never lets the SDK read the value, so the SDK never warns: leave \
                 them to the SDK."
            ),
        );
    }
}

/// Which requests a run under the sampler variables traced.
fn traced(out: &mut Diffs, want: &EnvCapture, got: &EnvCapture, env: &str) {
    let t = Signal::Traces;
    let only_the_argument = want.env.iter().all(|e| e.starts_with("OTEL_TRACES_SAMPLER_ARG="));
    let missing: Vec<&String> = want.traced.iter().filter(|r| !got.traced.contains(r)).collect();
    let extra: Vec<&String> = got.traced.iter().filter(|r| !want.traced.contains(r)).collect();
    if !missing.is_empty() {
        let list = missing.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ");
        out.add(
            t,
            Kind::EnvSamplerIgnored,
            format!(
                "run again with {env}, the service left no trace for {list}: its sampler does not honour the \
                 standard variables (with `OTEL_TRACES_SAMPLER` set, the sampler is the operator's, which the SDK \
                 reads from it and `OTEL_TRACES_SAMPLER_ARG`; the code's sampler only when it is unset)."
            ),
        );
    }
    if !extra.is_empty() {
        let list = extra.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ");
        let why = if only_the_argument {
            " The argument alone changes nothing: the SDK reads `OTEL_TRACES_SAMPLER_ARG` according to \
             `OTEL_TRACES_SAMPLER`, and with that unset the code's default sampler stays. Do not parse the \
             variables a second time: leave them to the SDK."
        } else {
            ""
        };
        out.add(
            t,
            Kind::EnvTraced,
            format!("run again with {env}, the service traced {list}; expected no trace for them.{why}"),
        );
    }
}

/// The resource of a run under the resource variables.
fn resource(out: &mut Diffs, want: &EnvCapture, got: &EnvCapture, env: &str) {
    if want.resource == got.resource {
        return;
    }
    let (Some(want_resource), Some(got_resource)) = (&want.resource, &got.resource) else {
        let said = if want.resource.is_some() { "its resource did not change" } else { "its resource changed" };
        out.add(
            Signal::Resource,
            Kind::EnvResource,
            format!(
                "run again with {env}, {said}; expected {}. The operator's variables must win over the code's \
                 defaults: merge the environment's detectors after the code's own attributes.",
                if want.resource.is_some() { "the operator's values" } else { "the same resource" }
            ),
        );
        return;
    };
    for (key, value) in want_resource {
        match got_resource.get(key) {
            Some(v) if v == value => {}
            Some(v) => out.add(
                Signal::Resource,
                Kind::EnvAttributeValue,
                format!(
                    "run again with {env}, resource attribute `{key}` is {v}; expected {value}: the operator's \
                     variables must win over the code's defaults (in `Resource::builder()`, the detector that reads \
                     them comes after the code's own attributes: the later one wins)."
                ),
            ),
            None => out.add(
                Signal::Resource,
                Kind::EnvAttributeMissing,
                format!("run again with {env}, resource attribute `{key}` is missing; expected {value}"),
            ),
        }
    }
    for key in got_resource.keys().filter(|k| !want_resource.contains_key(*k)) {
        out.add(
            Signal::Resource,
            Kind::EnvAttributeUnexpected,
            format!("run again with {env}, resource attribute `{key}` is not expected"),
        );
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
        out.add(place, Kind::CollectorRefused, format!("the collector {why}"));
    }
}
