//! Moments of a request that the lab's own code sees happen, recorded for the harness: the
//! place lookup ([`Places::find`](super::Places::find)), the call to the position service
//! ([`PositionClient::send`](super::PositionClient::send)) and each database query
//! ([`query::timed`](super::query::timed)), each with when it ran and which span was
//! current then. The harness judges spans against them: whether a span was the current
//! one while its work ran, and where a span event falls among them. In a real run nothing
//! is recorded.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::SystemTime;

use opentelemetry::Context;
use opentelemetry::trace::{SpanId, TraceContextExt as _, TraceId};

/// What the lab's code was doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// A place looked up in the table.
    Lookup,
    /// A call sent to the position service.
    Call,
    /// A database query.
    Query,
    /// A message handed to a queue.
    Send,
    /// A queue's acknowledgement that a message was processed reached its sender.
    Ack,
}

/// One recorded moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub moment: Moment,
    pub started: SystemTime,
    /// When it returned; `None` for one that never did (a call the caller gave up on).
    pub returned: Option<SystemTime>,
    /// The span that was current when it started, if any: the OpenTelemetry context of the
    /// task (`.with_context(cx)`, `cx.attach()`, or a `tracing` span with the
    /// tracing-opentelemetry layer, which activates its context when entered).
    pub current: Option<(TraceId, SpanId)>,
}

/// Whether moments are recorded: only once the harness runs a scenario.
static RECORDING: AtomicBool = AtomicBool::new(false);
/// Every capture's marks, each with the capture it belongs to (`None`: a thread of no
/// capture's runtime, counted for every capture).
static MARKS: Mutex<Vec<(Option<u64>, Mark)>> = Mutex::new(Vec::new());
static CAPTURES: AtomicU64 = AtomicU64::new(0);

// Which capture the code running now belongs to. A capture runs in a process of its own
// under the checker; the lab's own tests run several in one process at once, so each
// capture tags its moments: its scenario's task carries the capture's number, and so does
// every thread of its runtime (its workers, where spawned tasks run, and its blocking pool).
tokio::task_local! {
    static CAPTURE: u64;
}
thread_local! {
    static CAPTURE_THREAD: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// A new capture's number.
pub(crate) fn new_capture() -> u64 {
    CAPTURES.fetch_add(1, Ordering::Relaxed) + 1
}

/// For a capture runtime's `on_thread_start`: the thread belongs to capture `id`.
pub(crate) fn on_capture_thread(id: u64) {
    CAPTURE_THREAD.with(|c| c.set(Some(id)));
}

/// The calling thread belongs to capture `id` until [`leave_capture_thread`] gives it
/// back what this returns (a current-thread runtime's tasks run on the thread that drives
/// it).
pub(crate) fn enter_capture_thread(id: u64) -> Option<u64> {
    CAPTURE_THREAD.with(|c| c.replace(Some(id)))
}

/// The calling thread belongs again to what [`enter_capture_thread`] returned.
pub(crate) fn leave_capture_thread(before: Option<u64>) {
    CAPTURE_THREAD.with(|c| c.set(before));
}

/// Runs `future` (a scenario) as capture `id`.
pub(crate) async fn scoped<F: Future>(id: u64, future: F) -> F::Output {
    CAPTURE.scope(id, future).await
}

pub(crate) fn current_capture() -> Option<u64> {
    CAPTURE.try_with(|id| *id).ok().or_else(|| CAPTURE_THREAD.with(|c| c.get()))
}

/// A moment being recorded; [`Pending::returned`] ends it. Never ended (a call abandoned by
/// its caller), it stays recorded as never returned.
#[derive(Debug)]
pub(crate) struct Pending {
    mark: Mark,
    index: usize,
}

/// Starts recording `moment`, under the checker only.
pub(crate) fn begin(moment: Moment) -> Option<Pending> {
    if !RECORDING.load(Ordering::Relaxed) {
        return None;
    }
    let cx = Context::current();
    let span = cx.span();
    let context = span.span_context();
    let current = context.is_valid().then(|| (context.trace_id(), context.span_id()));
    let mark = Mark { moment, started: SystemTime::now(), returned: None, current };
    let mut marks = MARKS.lock().ok()?;
    marks.push((current_capture(), mark));
    Some(Pending { mark, index: marks.len() - 1 })
}

impl Pending {
    /// The moment returned now.
    pub(crate) fn returned(self) {
        if let Ok(mut marks) = MARKS.lock()
            && let Some((_, mark)) = marks.get_mut(self.index)
            && mark.started == self.mark.started
        {
            mark.returned = Some(SystemTime::now());
        }
    }
}

/// A queue's acknowledgement has just reached the code that sent the message: a queue the
/// lab's exercises give (exercise 17's) calls this, so the harness can tell whether the
/// producer's span ended before it (the sending) or after (the processing too). Does
/// nothing in a real run.
pub fn acknowledged() {
    if let Some(ack) = begin(Moment::Ack) {
        ack.returned();
    }
}

/// A message is being handed to a queue: a queue the lab's exercises give (exercise 17's)
/// calls this from its `send`, so the harness can tell whether the producer's span was
/// still open then (the sending is what it describes). Does nothing in a real run.
pub fn queued() {
    if let Some(send) = begin(Moment::Send) {
        send.returned();
    }
}

/// Starts recording (the harness, before it drives a scenario).
pub(crate) fn record() {
    RECORDING.store(true, Ordering::Relaxed);
}

/// What the current capture recorded so far, in the order the moments started.
pub(crate) fn recorded() -> Vec<Mark> {
    let capture = current_capture();
    let marks = MARKS.lock().map(|marks| marks.clone()).unwrap_or_default();
    marks.into_iter().filter(|(of, _)| of.is_none() || *of == capture).map(|(_, mark)| mark).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{SpanContext, TraceFlags, TraceState};

    // Other tests of this binary look places up and call the position service at the same
    // time, and untagged moments count for every capture: so this looks at its own only.
    #[tokio::test]
    async fn a_moment_is_recorded_with_the_current_span_for_its_own_capture() {
        let mine = scoped(new_capture(), async { moments() }).await;
        assert_eq!(mine.len(), 2, "{mine:?}");
        assert_eq!(mine[0].current, None);
        assert!(mine[0].returned.is_some_and(|r| r >= mine[0].started));
        assert_eq!(mine[1].current, Some((TraceId::from(7_u128), SpanId::from(9_u64))));
        assert_eq!(mine[1].returned, None, "a query never returned is recorded as such");
        // Another capture, at the same time in this process, sees none of these.
        let theirs = scoped(new_capture(), async { recorded() }).await;
        assert!(!theirs.iter().any(|m| m.moment == Moment::Query), "{theirs:?}");
    }

    /// Two queries (no other test makes any): one with no span current, one inside a span,
    /// never returned.
    fn moments() -> Vec<Mark> {
        record();
        begin(Moment::Query).expect("recording").returned();
        let span = SpanContext::new(
            TraceId::from(7_u128),
            SpanId::from(9_u64),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        );
        let cx = Context::new().with_remote_span_context(span);
        let guard = cx.attach();
        let _abandoned = begin(Moment::Query).expect("recording");
        drop(guard);
        recorded().into_iter().filter(|m| m.moment == Moment::Query).collect()
    }
}
