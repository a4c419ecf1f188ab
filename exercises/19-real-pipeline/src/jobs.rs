//! The sightings job, both ends of the queue: the distance service sends a message for each
//! distance it computed (the producer), and the worker records it (the consumer). The
//! queue itself is in `queue.rs`; this file is its instrumentation, per the messaging
//! conventions of semconv 1.42.

use opentelemetry::trace::{Link, SpanKind, Status, TraceContextExt as _, Tracer as _};
use opentelemetry::{Context, KeyValue, global};
use opentelemetry_sdk::trace::SdkTracer;
use opentelemetry_semantic_conventions::attribute::{
    ERROR_TYPE, MESSAGING_DESTINATION_NAME, MESSAGING_MESSAGE_ID, MESSAGING_OPERATION_NAME, MESSAGING_OPERATION_TYPE,
    MESSAGING_SYSTEM,
};

use crate::given::{ISS_DISTANCE_KM, ISS_PLACE};
use crate::queue::{MESSAGING_SYSTEM_NAME, Message, Queue, Sighting, record};

/// The attributes both ends share: what system, which queue, which operation, which message.
/// The operation is `send` or `process`, both its name and its type here (a queue with
/// operations of its own, `ack` for one, would name them in `messaging.operation.name`).
fn messaging_attributes(queue: &'static str, operation: &'static str, message: &Message) -> Vec<KeyValue> {
    vec![
        KeyValue::new(MESSAGING_SYSTEM, MESSAGING_SYSTEM_NAME),
        KeyValue::new(MESSAGING_DESTINATION_NAME, queue),
        KeyValue::new(MESSAGING_OPERATION_NAME, operation),
        KeyValue::new(MESSAGING_OPERATION_TYPE, operation),
        KeyValue::new(MESSAGING_MESSAGE_ID, message.id.clone()),
    ]
}

/// The producer: sends `sighting` to `queue`, in a span `send iss.sightings` of kind
/// producer, a child of the current span (the request's), whose context travels in the
/// message's headers: the message's creation context.
pub(crate) async fn publish(tracer: &SdkTracer, queue: &Queue, sighting: Sighting) {
    let mut message = queue.message(sighting);
    // The span name is `{operation} {destination}`: the queue's name, never the message's
    // id, which would make a name per message.
    let span = tracer
        .span_builder(format!("send {}", queue.name()))
        .with_kind(SpanKind::Producer)
        .with_attributes(messaging_attributes(queue.name(), "send", &message))
        .start(tracer);
    let cx = Context::current_with_span(span);
    // The headers are a `HashMap<String, String>`, a carrier the propagator writes into as
    // it does into HTTP headers (exercise 11).
    global::get_text_map_propagator(|propagator| propagator.inject_context(&cx, &mut message.headers));
    let ack = queue.send(message);
    // The span is the sending, not the processing: it ends once the message is queued.
    cx.span().end();
    ack.processed().await;
}

/// The consumer: the worker records one sighting, in a span `process iss.sightings` of kind
/// consumer that starts a trace of its own and links the message's creation context, and
/// that says so when the job failed.
pub(crate) fn process(tracer: &SdkTracer, queue: &'static str, message: Message) {
    // The creation context, read back from the headers.
    let creation = global::get_text_map_propagator(|propagator| propagator.extract(&message.headers));
    let creation = creation.span().span_context().clone();
    // A link for each message processed, as the conventions ask (a batch would have one
    // per message); none when the message came without a context.
    let links = if creation.is_valid() { vec![Link::with_context(creation)] } else { vec![] };
    let span = tracer
        .span_builder(format!("process {queue}"))
        .with_kind(SpanKind::Consumer)
        .with_attributes(messaging_attributes(queue, "process", &message))
        .with_links(links)
        // A new trace: the job is work of its own, with its own life and sampling; the link,
        // not a parent, ties it to the request that asked for it.
        .start_with_context(tracer, &Context::new());
    let cx = Context::current_with_span(span);
    // Current while the job runs: the log record carries the process span's ids.
    let _current = cx.clone().attach();
    let sighting = &message.sighting;
    match record(sighting) {
        Ok(()) => tracing::info!(
            name: "iss.sighting.recorded",
            { { ISS_PLACE } = sighting.place, { ISS_DISTANCE_KM } = sighting.distance_km },
            "sighting recorded"
        ),
        Err(err) => {
            // A job that failed, marked as exercise 7 marks a failure: the conventions'
            // `error.type` (conditionally required "if and only if the messaging operation
            // has failed") and the span's status, with the error's text.
            cx.span().set_status(Status::error(err.to_string()));
            cx.span().set_attribute(KeyValue::new(ERROR_TYPE, err.kind()));
            tracing::warn!(name: "iss.sighting.refused", { { ISS_PLACE } = sighting.place }, "sighting not recorded: {err}");
        }
    }
    cx.span().end();
}
