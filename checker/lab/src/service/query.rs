//! Database queries, timed for the harness. An exercise whose service queries a database
//! runs each query through [`timed`]: under the checker, the harness learns when the query
//! ran and which span was current (the lab's marks of a request's moments), so it can tell whether the
//! span that describes it covers it (`covers_query`), as it does for the calls to the
//! position service, which it makes itself. In a real run nothing is recorded.
//!
//! Under the checker a query also lasts at least [`CHECKER_QUERY_LATENCY`], as a call to
//! the in-process position service lasts [`IN_PROCESS_LATENCY`](super::position::IN_PROCESS_LATENCY):
//! so a duration recorded in seconds is at least that, on any machine, and one recorded in
//! whole seconds (`as_secs()`, always 0) or in milliseconds (2 or more) is told apart from
//! it without any clock luck.

use std::time::Duration;

use super::marks::{self, Moment};

/// How long a query takes at least under the checker.
pub const CHECKER_QUERY_LATENCY: Duration = Duration::from_millis(2);

/// Runs `query` and gives back what it returned; under the checker, records when it ran.
pub fn timed<T>(query: impl FnOnce() -> T) -> T {
    let Some(pending) = marks::begin(Moment::Query) else { return query() };
    // Blocking, as the query itself is: the database answers on the caller's thread.
    std::thread::sleep(CHECKER_QUERY_LATENCY);
    let result = query();
    pending.returned();
    result
}
