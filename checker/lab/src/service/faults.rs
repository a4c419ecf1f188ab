//! Failures the scenario turns on and off, for the systems an exercise's given code stands
//! in for: the database refusing a query (exercise 18), the store a queue's worker writes
//! to refusing a job (exercise 17). The given code asks [`on`] before it does its work and
//! fails the way the real system would; the learner's instrumentation then has a failure
//! to record, with a known class. In a real run no fault is ever on.
//!
//! A fault is on for one capture only: the lab's own tests run several captures in one
//! process at once, so each switch is tagged with the capture that turned it on (as the
//! marks of [`marks`](super::marks) are).

use std::sync::Mutex;

use super::marks;

/// A failure the scenario can cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The database refuses every query: exercise 18's given `Database::run` installs an
    /// authorizer that denies them, so SQLite itself answers `SQLITE_AUTH` (23), as a
    /// revoked grant would on a database server.
    DatabaseRefuses,
    /// The sightings store refuses every write: exercise 17's given `record` fails, so the
    /// job the worker processes fails.
    SightingsStoreDown,
}

/// The faults on now, each with the capture that turned it on.
static ON: Mutex<Vec<(Option<u64>, Fault)>> = Mutex::new(Vec::new());

/// Turns `fault` on or off for the current capture (the scenario's steps).
pub(crate) fn set(fault: Fault, on: bool) {
    let capture = marks::current_capture();
    let mut faults = ON.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    faults.retain(|entry| *entry != (capture, fault));
    if on {
        faults.push((capture, fault));
    }
}

/// Whether `fault` is on for the code running now: always `false` in a real run, where no
/// scenario runs.
pub fn on(fault: Fault) -> bool {
    let capture = marks::current_capture();
    let faults = ON.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    faults.contains(&(capture, fault))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_fault_is_on_for_the_capture_that_set_it_only() {
        let (mine, theirs) = (marks::new_capture(), marks::new_capture());
        marks::scoped(mine, async { set(Fault::SightingsStoreDown, true) }).await;
        assert!(marks::scoped(mine, async { on(Fault::SightingsStoreDown) }).await);
        assert!(!marks::scoped(mine, async { on(Fault::DatabaseRefuses) }).await, "another fault stays off");
        assert!(!marks::scoped(theirs, async { on(Fault::SightingsStoreDown) }).await, "another capture's");
        marks::scoped(mine, async { set(Fault::SightingsStoreDown, false) }).await;
        assert!(!marks::scoped(mine, async { on(Fault::SightingsStoreDown) }).await, "turned off again");
    }
}
