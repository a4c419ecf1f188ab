//! The resource every signal was exported with.

use telemetry_document::Attributes;

use super::{Diffs, Signal, attributes};

pub(super) fn resource(out: &mut Diffs, expected: &Attributes, actual: &Attributes) {
    if actual.is_empty() && !expected.is_empty() {
        out.add(
            Signal::Resource,
            "no resource reached the exporter: give the provider your resource (`.with_resource(...)`) and an exporter",
        );
        return;
    }
    attributes(out, Signal::Resource, "resource attribute", expected, actual);
}
