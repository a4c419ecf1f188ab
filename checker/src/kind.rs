//! Kinds: a stable identifier for each sort of difference and likely cause, so that
//! reports aggregate (`class`) and tools match on something other than wording.
//!
//! A kind names the mistake, not the message: rewording a message keeps its kind, and a
//! kind, once published in a JSON report, keeps its identifier. A difference's identifier
//! in the report is its signal and its kind, `traces.span.missing`, `metrics.unit`,
//! `resource.attribute.missing`; a likely cause's is its kind alone, `key.deprecated`.
//! Adding a kind is fine; renaming one breaks every class view that compares old
//! reports with new ones.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares an enum of kinds with their identifiers, its documentation per variant, the
/// list of all of them, and serde as the identifier.
macro_rules! kinds {
    ($(#[$meta:meta])* $name:ident { $($(#[$doc:meta])* $variant:ident => $id:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$doc])* $variant,)*
        }

        impl $name {
            /// Every kind, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The stable identifier.
            pub fn id(self) -> &'static str {
                match self {
                    $($name::$variant => $id,)*
                }
            }

            pub fn from_id(id: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|k| k.id() == id)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.id())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let id = String::deserialize(deserializer)?;
                $name::from_id(&id).ok_or_else(|| serde::de::Error::custom(format!("unknown kind `{id}`")))
            }
        }
    };
}

kinds! {
    /// What differs, within its signal (a [`crate::compare::Difference`] carries both). The
    /// same kind serves every signal where it can happen (`attribute.missing` on the
    /// resource, a span, a data point's or a log record's attributes).
    Kind {
        /// Requests: a request answered another status than expected.
        Answer => "answer",
        /// Requests: the scenario made another number of requests.
        RequestCount => "count",
        /// Nothing of the signal reached the exporter (no spans, metrics, records, resource);
        /// of the tests (`tests.none`): no test ran.
        Nothing => "none",
        /// Nothing of the signal, though its provider was shut down on the way out.
        NothingThoughShutDown => "none.though_shut_down",
        /// A provider built without the lab's span processor that notes spans at creation.
        StartsUnseen => "starts.unseen",
        /// Fewer traces than expected: a request left none.
        TraceMissing => "trace.missing",
        /// More traces than expected, where a sampler should have dropped them.
        TraceNotDropped => "trace.not_dropped",
        /// More traces than expected.
        TraceUnexpected => "trace.unexpected",
        /// A span found elsewhere in its trace than expected.
        SpanMisplaced => "span.misplaced",
        /// A span at the expected place under another name.
        SpanRenamed => "span.renamed",
        SpanMissing => "span.missing",
        SpanUnexpected => "span.unexpected",
        SpanKind => "span.kind",
        /// A span exported by another service's provider.
        SpanService => "span.service",
        SpanParent => "span.parent",
        SpanStatus => "span.status",
        /// A structural fact about a span's time (within its parent, covers a call or query,
        /// current at a moment) that does not hold.
        SpanTime => "span.time",
        SpanLinks => "span.links",
        /// Links added after the span started, where no sampler saw them.
        LinksLate => "span.links.late",
        EventMissing => "event.missing",
        EventUnexpected => "event.unexpected",
        EventOrder => "event.order",
        /// An event recorded at another moment of its request than expected.
        EventMoment => "event.moment",
        AttributeMissing => "attribute.missing",
        AttributeType => "attribute.type",
        AttributeValue => "attribute.value",
        AttributeUnexpected => "attribute.unexpected",
        /// Sampling-relevant attributes set after the span started instead of at creation.
        AttributeLate => "attribute.late",
        /// A span, metric or log record from another instrumentation scope.
        Scope => "scope",
        /// A signal exported with another resource than the service's.
        OtherResource => "resource.other",
        /// Exported only at shutdown (held by a batch) where each should leave as made.
        DeliveryHeld => "delivery.held",
        /// Exported one by one while the service ran where a batch was expected.
        DeliveryImmediate => "delivery.immediate",
        /// The run with the operator's variables did not happen.
        EnvNotRun => "env.not_run",
        /// The run with the operator's variables gave no telemetry.
        EnvFailed => "env.failed",
        /// Under the sampler variables, requests that should be traced were not.
        EnvSamplerIgnored => "env.sampler_ignored",
        /// Under the sampler variables, requests that should not be traced were.
        EnvTraced => "env.traced",
        /// Under the resource variables, the resource did (not) change as a whole.
        EnvResource => "env.resource",
        EnvAttributeValue => "env.attribute.value",
        EnvAttributeMissing => "env.attribute.missing",
        EnvAttributeUnexpected => "env.attribute.unexpected",
        /// Over the wire under the operator's variables (exercise 19's transport), the collector
        /// refused a signal or never received it, or received one it should not have.
        EnvRefused => "env.refused",
        /// Under a bad `OTEL_*` value, the SDK's warning about it never reached stderr.
        EnvSdkSilenced => "env.sdk_silenced",
        /// Over the wire, the collector refused the signal or never received it.
        CollectorRefused => "collector.refused",
        MetricMissing => "missing",
        MetricUnexpected => "unexpected",
        /// An instrument of another kind (counter, histogram, ...).
        MetricKind => "kind",
        Unit => "unit",
        Description => "description",
        /// A histogram's values in another unit than its unit says (milliseconds for `s`).
        Magnitude => "magnitude",
        MinMax => "min_max",
        Bounds => "bounds",
        PointMissing => "point.missing",
        PointUnexpected => "point.unexpected",
        PointValue => "point.value",
        PointCount => "point.count",
        /// A metric read while a request was in flight differs (an up-down counter never
        /// incremented, or decremented too soon).
        InFlight => "in_flight",
        RecordMissing => "record.missing",
        RecordUnexpected => "record.unexpected",
        RecordSeverity => "record.severity",
        /// A log record carrying another span's ids, or none.
        RecordSpan => "record.span",
        RecordEventName => "record.event_name",
        /// A record below INFO that the service's log filter should have kept out.
        RecordBelowLevel => "record.below_level",
        /// A record written before its span started or after it ended.
        RecordOutsideSpan => "record.outside_span",
        /// The documents differ in order only.
        Order => "order",
        /// The line that says how many differences were left out.
        More => "more",
        /// Tests (an exercise graded by its tests): a test fails on the reference service.
        TestsFailOnReference => "fail_on_reference",
        /// Tests: every test passes on a broken version of the service.
        TestsRegressionMissed => "regression_missed",
        /// Tests: they did not finish within the time limit on the reference service.
        TestsHang => "hang",
    }
}

kinds! {
    /// A likely cause ([`crate::diagnose`]): the mistake recognised, whatever the signal.
    CauseKind {
        /// Nothing exported, and no provider ever held one of the lab's exporters.
        NothingExportedNoExporter => "export.none.no_exporter",
        /// Nothing exported: no exporter, a provider dropped early, or one never registered.
        NothingExported => "export.none",
        /// An old attribute key the conventions renamed.
        DeprecatedKey => "key.deprecated",
        /// A key one typo away from the expected one.
        KeyTypo => "key.typo",
        /// A span named after the raw path instead of the route template.
        RawPathSpanName => "span.name.raw_path",
        /// A span whose parent was never exported (not ended, another provider).
        ParentNotEnded => "span.parent.not_ended",
        /// A metric attribute with a value per request.
        MetricCardinality => "metric.cardinality",
        /// The SDK's or the HTTP stack's own logs in the log pipeline.
        SdkLogs => "logs.sdk_internal",
        /// A 4xx server span marked as an error.
        ClientErrorAsFailure => "span.status.client_error",
        /// A failed database call classified by the type of the client's error, one value
        /// for every failure, instead of the database's result code.
        ErrorClassByType => "error.type.by_type",
        /// An up-down counter left up by a request its caller abandoned.
        LeftInFlight => "metric.left_in_flight",
        /// The position service serves a router of its own instead of the lab's.
        OwnPositionRouter => "position.own_router",
        /// A provider shut down on the way out through which nothing was recorded.
        ShutDownNothingRecorded => "shutdown.nothing_recorded",
        /// A provider that holds its signal until shutdown, never shut down.
        NeverShutDown => "shutdown.missing",
        /// As [`CauseKind::NeverShutDown`], where the capture could not tell.
        MaybeNeverShutDown => "shutdown.maybe_missing",
        /// Over the wire, telemetry still sent to the lab's in-memory exporters.
        StillInMemory => "otlp.still_in_memory",
        /// A bridge or subscriber that could not be installed, as the service printed.
        SetupError => "stderr.setup_error",
        /// A blocking HTTP client on the service's async runtime (a panic).
        BlockingClient => "panic.blocking_client",
        /// No global propagator registered, where the trace crosses between services.
        PropagatorUnset => "propagator.unset",
        /// A `tracing` subscriber installed for the setup's thread only (`set_default`).
        SubscriberThreadOnly => "tracing.subscriber_thread_only",
    }
}

/// A likely cause: its kind and the sentence the learner reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cause {
    pub kind: CauseKind,
    pub text: String,
}

impl Cause {
    pub fn new(kind: CauseKind, text: impl Into<String>) -> Cause {
        Cause { kind, text: text.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Identifiers once published stay: reports of past classes compare with new ones. A
    /// new kind is added here too; a renamed or removed one fails this test.
    const PUBLISHED_KINDS: &[&str] = &[
        "answer",
        "count",
        "none",
        "none.though_shut_down",
        "starts.unseen",
        "trace.missing",
        "trace.not_dropped",
        "trace.unexpected",
        "span.misplaced",
        "span.renamed",
        "span.missing",
        "span.unexpected",
        "span.kind",
        "span.service",
        "span.parent",
        "span.status",
        "span.time",
        "span.links",
        "span.links.late",
        "event.missing",
        "event.unexpected",
        "event.order",
        "event.moment",
        "attribute.missing",
        "attribute.type",
        "attribute.value",
        "attribute.unexpected",
        "attribute.late",
        "scope",
        "resource.other",
        "delivery.held",
        "delivery.immediate",
        "env.not_run",
        "env.failed",
        "env.sampler_ignored",
        "env.traced",
        "env.resource",
        "env.attribute.value",
        "env.attribute.missing",
        "env.attribute.unexpected",
        "env.refused",
        "env.sdk_silenced",
        "collector.refused",
        "missing",
        "unexpected",
        "kind",
        "unit",
        "description",
        "magnitude",
        "min_max",
        "bounds",
        "point.missing",
        "point.unexpected",
        "point.value",
        "point.count",
        "in_flight",
        "record.missing",
        "record.unexpected",
        "record.severity",
        "record.span",
        "record.event_name",
        "record.below_level",
        "record.outside_span",
        "order",
        "more",
        "fail_on_reference",
        "regression_missed",
        "hang",
    ];

    const PUBLISHED_CAUSES: &[&str] = &[
        "export.none.no_exporter",
        "export.none",
        "key.deprecated",
        "key.typo",
        "span.name.raw_path",
        "span.parent.not_ended",
        "metric.cardinality",
        "logs.sdk_internal",
        "span.status.client_error",
        "error.type.by_type",
        "metric.left_in_flight",
        "position.own_router",
        "shutdown.nothing_recorded",
        "shutdown.missing",
        "shutdown.maybe_missing",
        "otlp.still_in_memory",
        "stderr.setup_error",
        "panic.blocking_client",
        "propagator.unset",
        "tracing.subscriber_thread_only",
    ];

    #[test]
    fn published_identifiers_are_never_renamed() {
        for id in PUBLISHED_KINDS {
            assert!(Kind::from_id(id).is_some(), "the kind `{id}` was published: keep it");
        }
        for id in PUBLISHED_CAUSES {
            assert!(CauseKind::from_id(id).is_some(), "the cause kind `{id}` was published: keep it");
        }
        assert_eq!(Kind::ALL.len(), PUBLISHED_KINDS.len(), "a new kind: add it to PUBLISHED_KINDS");
        assert_eq!(CauseKind::ALL.len(), PUBLISHED_CAUSES.len(), "a new cause kind: add it to PUBLISHED_CAUSES");
    }

    #[test]
    fn every_identifier_is_unique_and_reads_back() {
        let mut seen = std::collections::BTreeSet::new();
        for kind in Kind::ALL {
            assert!(seen.insert(kind.id()), "{} twice", kind.id());
            assert_eq!(Kind::from_id(kind.id()), Some(*kind));
        }
        let mut seen = std::collections::BTreeSet::new();
        for kind in CauseKind::ALL {
            assert!(seen.insert(kind.id()), "{} twice", kind.id());
            assert_eq!(serde_json::from_str::<CauseKind>(&format!("\"{}\"", kind.id())).unwrap(), *kind);
        }
        assert!(serde_json::from_str::<Kind>("\"no.such.kind\"").is_err());
    }
}
