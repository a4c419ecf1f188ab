//! The queue between the distance service and its worker: a `tokio::sync::mpsc` channel
//! presented as a queue with a name, messages with headers, and a worker task that takes
//! them one at a time; and the sightings store the worker writes to. No telemetry here: it
//! is the part a messaging library (and the store's client) would be. You do not need to
//! edit this file: exercise 17 is in `jobs.rs`.
//!
//! Why a channel and not a queue crate: the lesson is the instrumentation around a queue
//! (producer and consumer spans, the context in the headers, a link), which is the same for
//! every queue; a channel needs no new dependency, runs in the process, and its order is
//! fixed. Like a broker's, its messages carry string headers beside the body.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{mpsc, oneshot};

/// The system, as `messaging.system` names it: no value of the conventions' list fits an
/// in-process channel, and the conventions allow a system of one's own; this one says what
/// carries the messages.
pub const MESSAGING_SYSTEM_NAME: &str = "tokio_mpsc";

/// The queue the distance service hands its sightings to.
pub const SIGHTINGS_QUEUE: &str = "iss.sightings";

/// The job: a sighting to record, made by a successful `GET /distance/{place}`.
#[derive(Debug, Clone)]
pub struct Sighting {
    pub place: &'static str,
    pub distance_km: f64,
}

/// The sightings store refused a sighting: the job failed.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreUnavailable;

impl StoreUnavailable {
    /// A short, low-cardinality name for the kind of error (for `error.type`), as
    /// `AppError::kind` is for the service's.
    pub fn kind(&self) -> &'static str {
        "store_unavailable"
    }
}

impl std::fmt::Display for StoreUnavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("sightings store unavailable")
    }
}

impl std::error::Error for StoreUnavailable {}

/// Writes `sighting` to the sightings store: the job's work, which can fail as any write
/// to another system can. The store is the lab's stand-in (the `iss.sighting.recorded` log
/// record is all it keeps): in a real run it never refuses; under the checker the scenario
/// takes it down for one job (`lab::service::faults`).
pub fn record(sighting: &Sighting) -> Result<(), StoreUnavailable> {
    let _ = sighting;
    if lab::service::faults::on(lab::service::faults::Fault::SightingsStoreDown) {
        return Err(StoreUnavailable);
    }
    Ok(())
}

/// A message: the job, with the headers a broker carries beside it (where trace context
/// travels), and the id the queue gave it.
#[derive(Debug)]
pub struct Message {
    pub id: String,
    pub headers: HashMap<String, String>,
    pub sighting: Sighting,
}

/// The producer's end of a named queue. Cloning it gives another producer of the same queue.
#[derive(Clone)]
pub struct Queue {
    name: &'static str,
    sender: mpsc::UnboundedSender<(Message, oneshot::Sender<()>)>,
    next_id: Arc<AtomicU64>,
}

impl Queue {
    /// A queue named `name` and its worker, a task that hands each message to `process`, in
    /// the order they were sent, and acknowledges it once `process` returned.
    pub fn start(name: &'static str, process: impl Fn(Message) + Send + 'static) -> Queue {
        let (sender, mut receiver) = mpsc::unbounded_channel::<(Message, oneshot::Sender<()>)>();
        tokio::spawn(async move {
            while let Some((message, done)) = receiver.recv().await {
                process(message);
                let _ = done.send(());
            }
        });
        Queue { name, sender, next_id: Arc::new(AtomicU64::new(0)) }
    }

    /// The queue's name, which the conventions call the destination.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// A new message for `sighting`, with a fresh id and no headers yet.
    pub fn message(&self, sighting: Sighting) -> Message {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst) + 1;
        Message { id: id.to_string(), headers: HashMap::new(), sighting }
    }

    /// Puts `message` on the queue, and returns at once: the [`Ack`] says when the worker
    /// has processed it.
    pub fn send(&self, message: Message) -> Ack {
        // Under the checker, the lab notes when the message was handed over (a producer span
        // must still be open then); a real run does nothing here.
        lab::service::marks::queued();
        let (done, ack) = oneshot::channel();
        // A worker that is gone leaves the message unprocessed; its `Ack` returns at once.
        let _ = self.sender.send((message, done));
        Ack(ack)
    }
}

/// The worker's acknowledgement of one message.
///
/// The service waits for it before it answers, which a fire-and-forget queue would not do:
/// under the checker every job must be processed while its request runs, so that the
/// worker's spans are in the capture, in a fixed order, whatever the machine's load.
pub struct Ack(oneshot::Receiver<()>);

impl Ack {
    pub async fn processed(self) {
        let _ = self.0.await;
        // Under the checker, the lab notes when the acknowledgement arrived (a producer span
        // must end before it); a real run does nothing here.
        lab::service::marks::acknowledged();
    }
}
