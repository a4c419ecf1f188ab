//! The resource every signal was exported with.

use std::collections::BTreeSet;

use telemetry_document::{Attributes, Document};

use super::{Diffs, Kind, Signal, attributes};

pub(super) fn resource(out: &mut Diffs, expected: &Attributes, actual: &Attributes) {
    if actual.is_empty() && !expected.is_empty() {
        out.add(
            Signal::Resource,
            Kind::Nothing,
            "no resource reached the exporter: give the provider your resource (`.with_resource(...)`) and an exporter",
        );
        return;
    }
    attributes(out, Signal::Resource, "resource attribute", expected, actual);
}

/// Every other signal's resource, and the position service's: the same resource as the
/// traces unless the snapshot says otherwise.
pub(super) fn resources(out: &mut Diffs, expected: &Document, actual: &Document) {
    let signals: BTreeSet<&String> = expected.resources.keys().chain(actual.resources.keys()).collect();
    for signal in signals {
        // A signal that exported nothing has no resource to compare (its absence is said
        // where its data is missing).
        if !actual.delivery.contains_key(signal.as_str()) {
            continue;
        }
        let want = expected.resources.get(signal).unwrap_or(&expected.resource);
        let got = actual.resources.get(signal).unwrap_or(&actual.resource);
        if want == got {
            continue;
        }
        let before = out.0.len();
        attributes(out, Signal::Resource, &format!("the {signal}' resource: attribute"), want, got);
        if out.0.len() > before {
            let provider = match signal.as_str() {
                "metrics" => "the meter provider",
                "logs" => "the logger provider",
                "position traces" => "the position service's tracer provider",
                _ => "its provider",
            };
            out.add(
                Signal::Resource,
                Kind::OtherResource,
                format!(
                    "the {signal} were exported with another resource than expected: every provider stamps its own \
                     resource on what it exports, so give {provider} the service's resource too (`.with_resource(...)`)."
                ),
            );
        }
    }
}
