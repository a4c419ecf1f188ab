//! Metrics: by name, then data points by attributes.

use telemetry_document::{Attributes, DataPoint, Magnitude, Metric, Value};

use super::{Diffs, Kind, Signal, show_attributes};

pub(super) fn metrics(out: &mut Diffs, expected: &[Metric], actual: &[Metric]) {
    let m = Signal::Metrics;
    if actual.is_empty() && !expected.is_empty() {
        out.add(
            m,
            Kind::Nothing,
            "no metrics were exported. Usually no instrument recorded anything (an instrument that is created but \
             never used exports nothing), or the meter provider was never shut down on the way out (its reader \
             exports every 60 s, and when shut down), or it has no reader (`PeriodicReader::builder(edge.metrics)`), \
             is not handed to `Telemetry::with_meter_provider`, or the instruments come from another provider.",
        );
        return;
    }
    for e in expected {
        let Some(a) = actual.iter().find(|a| a.name == e.name) else {
            // A whole meter scope missing is often a library's: it takes its meter from the
            // global provider, a no-op until the service registers its own.
            let scope_missing = !actual.iter().any(|a| a.scope.name == e.scope.name);
            let why = if scope_missing {
                format!(
                    ": nothing of the meter scope `{}` arrived. When that scope is a library's, it takes its meter \
                     from the global meter provider (`global::meter`), a no-op until the service registers its own \
                     with `global::set_meter_provider`",
                    e.scope.name
                )
            } else {
                String::new()
            };
            out.add(m, Kind::MetricMissing, format!("metric `{}` ({}) is missing{why}", e.name, e.kind));
            continue;
        };
        let name = &e.name;
        if e.kind != a.kind {
            out.add(m, Kind::MetricKind, format!("metric `{name}` is a {}; expected a {}", a.kind, e.kind));
        }
        if e.unit != a.unit {
            out.add(m, Kind::Unit, format!("metric `{name}` has unit `{}`; expected `{}`", a.unit, e.unit));
        }
        if e.description != a.description {
            out.add(
                m,
                Kind::Description,
                format!("metric `{name}` has description {:?}; expected {:?}", a.description, e.description),
            );
        }
        if e.scope != a.scope {
            out.add(
                m,
                Kind::Scope,
                format!("metric `{name}` comes from the meter scope `{}`; expected `{}`", a.scope, e.scope),
            );
        }
        if let (Some(want), Some(got)) = (e.magnitude, a.magnitude)
            && want != got
        {
            out.add(m, Kind::Magnitude, magnitude(name, &e.unit, want, got));
        }
        if e.min_max != a.min_max {
            let has = |min_max: Option<bool>| if min_max == Some(false) { "no min and max" } else { "a min and a max" };
            out.add(
                m,
                Kind::MinMax,
                format!(
                    "metric `{name}`: its points have {}; expected {} (the aggregation's `record_min_max`: keep the \
                     SDK's default unless the exercise says otherwise)",
                    has(a.min_max),
                    has(e.min_max)
                ),
            );
        }
        points(out, name, &e.points, &a.points);
    }
    for a in actual {
        if !expected.iter().any(|e| e.name == a.name) {
            out.add(m, Kind::MetricUnexpected, format!("metric `{}` ({}) is not expected", a.name, a.kind));
        }
    }
}

/// A histogram point's bucket boundaries.
type Bounds = Option<Vec<f64>>;

/// The boundaries the SDK uses when none are given: made for milliseconds.
pub(super) const SDK_DEFAULT_BOUNDS: &[f64] =
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
                        Kind::AttributeType,
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
            out.add(m, Kind::PointMissing, format!("metric `{name}` has no data point with {attrs}"));
            continue;
        };
        paired[index] = true;
        let a = &actual[index];
        let show =
            |v: &Option<Value>| v.as_ref().map(|v| format!("{v} ({})", v.type_name())).unwrap_or("nothing".into());
        if e.value != a.value {
            out.add(
                m,
                Kind::PointValue,
                format!("metric `{name}` {attrs}: value is {}; expected {}", show(&a.value), show(&e.value)),
            );
        }
        if e.count != a.count {
            out.add(
                m,
                Kind::PointCount,
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
                 with `.with_boundaries(vec![...])` on its builder, or with a view for an instrument your code does \
                 not create",
            );
        }
        out.add(m, Kind::Bounds, text);
    }
    for (a, was_paired) in actual.iter().zip(paired) {
        if !was_paired && !expected.iter().any(|e| e.attributes == a.attributes) {
            out.add(
                m,
                Kind::PointUnexpected,
                format!("metric `{name}` has an unexpected data point with {}", show_attributes(&a.attributes)),
            );
        }
    }
}

/// The values recorded are of another order of magnitude than the requests' durations.
fn magnitude(name: &str, unit: &str, want: Magnitude, got: Magnitude) -> String {
    match (want, got) {
        (Magnitude::Seconds, Magnitude::SmallerThanSeconds) => format!(
            "metric `{name}`: the durations are far too small for the work they measure (every value is under a \
             millisecond, though under the checker each query lasts at least 2 ms and a request that calls the \
             position service at least 20 ms): whole seconds (`as_secs()`, which is 0 here) or milliseconds \
             truncated to an integer (`as_millis()` of sub-millisecond work) lose the duration, and a timer started \
             after the work (or read before it ends) measures nothing. The unit is `{unit}`: start the timer right \
             before the work, and record `elapsed.as_secs_f64()` once it is done."
        ),
        (Magnitude::Seconds, _) => format!(
            "metric `{name}`: the durations look like milliseconds (the largest value recorded is far more than any \
             request of the scenario lasted in seconds); the unit is `{unit}`: record `elapsed.as_secs_f64()`, not \
             `as_millis()`."
        ),
        (_, _) => format!(
            "metric `{name}`: the values look like seconds (no larger than the requests lasted in seconds); expected \
             them in `{unit}`."
        ),
    }
}

/// The in-flight count while a request was held: each up-down counter's points then, by
/// attributes. A point the final export compares too is not said twice: only the value.
pub(super) fn while_held(out: &mut Diffs, expected: &[Metric], actual: &[Metric], exported: &[Metric]) {
    for e in expected {
        let got = actual.iter().find(|a| a.name == e.name);
        if got.is_none() && !exported.iter().any(|a| a.name == e.name) {
            // Missing altogether: said once, by the metrics' own comparison.
            continue;
        }
        for point in &e.points {
            let value = got
                .and_then(|a| a.points.iter().find(|p| p.attributes == point.attributes))
                .and_then(|p| p.value.as_ref());
            if value == point.value.as_ref() {
                continue;
            }
            let (Some(want), shown) = (&point.value, value.map_or("nothing".to_string(), ToString::to_string)) else {
                continue;
            };
            out.add(
                Signal::Metrics,
                Kind::InFlight,
                format!(
                    "while a request was in flight (its handler waiting for the position service), metric `{}` \
                     {} was {shown}; expected {want}: the count goes up when a request starts and back down only \
                     when it ends, so the guard that brings it down must live as long as the request (`let _ = \
                     ...` drops it at once; bind it to a name, e.g. `let _in_flight = ...`, and keep it to the end)",
                    e.name,
                    show_attributes(&point.attributes),
                ),
            );
        }
    }
}
