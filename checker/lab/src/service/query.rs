//! Database queries, timed for the harness. An exercise whose service queries a database
//! runs each query through [`timed`]: under the checker, the harness learns when the query
//! ran, so it can tell whether the span that describes it covers it (`covers_query`), as it
//! does for the calls to the position service, which it makes itself. In a real run
//! nothing is recorded.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

/// Whether queries are recorded: only while the harness runs a scenario.
static RECORDING: AtomicBool = AtomicBool::new(false);
/// The queries that returned while recording, as (started, returned).
static QUERIES: Mutex<Vec<(SystemTime, SystemTime)>> = Mutex::new(Vec::new());

/// Runs `query` and gives back what it returned; under the checker, records when it ran.
pub fn timed<T>(query: impl FnOnce() -> T) -> T {
    if !RECORDING.load(Ordering::Relaxed) {
        return query();
    }
    let started = SystemTime::now();
    let result = query();
    let returned = SystemTime::now();
    if let Ok(mut queries) = QUERIES.lock() {
        queries.push((started, returned));
    }
    result
}

/// Starts recording, from nothing (the harness, before it builds the service).
pub(crate) fn record() {
    if let Ok(mut queries) = QUERIES.lock() {
        queries.clear();
    }
    RECORDING.store(true, Ordering::Relaxed);
}

/// The queries recorded so far, in order.
pub(crate) fn recorded() -> Vec<(SystemTime, SystemTime)> {
    QUERIES.lock().map(|queries| queries.clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_recorded_only_while_the_harness_records() {
        assert_eq!(timed(|| 1 + 1), 2);
        assert!(recorded().is_empty(), "nothing is recorded in a real run");
        record();
        assert_eq!(timed(|| "row"), "row");
        let queries = recorded();
        assert_eq!(queries.len(), 1);
        assert!(queries[0].0 <= queries[0].1, "a query returns after it started");
    }
}
