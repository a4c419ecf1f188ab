//! The sightings job, both ends of the queue: the distance service sends a message for each
//! distance it computed (the producer), and the worker records it (the consumer). The
//! queue itself is in `queue.rs`; this file is its instrumentation, per the messaging
//! conventions of semconv 1.42.

use opentelemetry_sdk::trace::SdkTracer;

use crate::given::{ISS_DISTANCE_KM, ISS_PLACE};
use crate::queue::{Message, Queue, Sighting, record};

/// The producer: sends `sighting` to `queue`.
// TODO (1 of 2): the sending in a producer span, a child of the request's span, named and
// described as the messaging conventions say (system, destination, operation name and
// type, the message's id), and its context written into the message's headers so that the
// worker can find the request that asked for the job. The span covers the sending only.
// README: "1. The producer".
pub(crate) async fn publish(tracer: &SdkTracer, queue: &Queue, sighting: Sighting) {
    let _ = tracer;
    let message = queue.message(sighting);
    let ack = queue.send(message);
    ack.processed().await;
}

/// The consumer: the worker records one sighting.
// TODO (2 of 2): the processing in a consumer span that starts a trace of its own and
// links the message's creation context, read back from its headers; the same attributes as
// the producer's, for this operation; current while the sighting is recorded, so that the
// log records carry its ids; and a job that failed marked on it as exercise 7 taught.
// README: "2. The consumer: a trace of its own, and a link", then "3. A job that fails".
pub(crate) fn process(tracer: &SdkTracer, queue: &'static str, message: Message) {
    let _ = (tracer, queue);
    let sighting = &message.sighting;
    match record(sighting) {
        Ok(()) => tracing::info!(
            name: "iss.sighting.recorded",
            { { ISS_PLACE } = sighting.place, { ISS_DISTANCE_KM } = sighting.distance_km },
            "sighting recorded"
        ),
        Err(err) => {
            tracing::warn!(name: "iss.sighting.refused", { { ISS_PLACE } = sighting.place }, "sighting not recorded: {err}");
        }
    }
}
