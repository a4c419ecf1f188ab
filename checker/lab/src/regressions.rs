//! The regressions of exercise 20's reference service (`lab::reference::Regression`),
//! as data without dependencies: the lab's service reads them, and the checker includes
//! this very file (`#[path]`) to iterate them without linking the lab, so the list is
//! written once.

/// `(id, the broken service in the verdict's words)`, in `lab::reference::Regression`'s
/// order. The id is the value of `LAB_REGRESSION`; reports and snapshots name it, so it stays.
pub const REGRESSIONS: &[(&str, &str)] = &[
    ("span-not-ended", "a service whose server span is never ended (so never exported)"),
    (
        "attribute-renamed",
        "a service whose server span records the method under the old key `http.method` instead of \
         `http.request.method`",
    ),
    ("error-not-marked", "a service whose 502 span no longer has status error (nor `error.type`)"),
    (
        "histogram-in-milliseconds",
        "a service whose `http.server.request.duration` records milliseconds while its unit says seconds",
    ),
    (
        "context-lost-across-spawn",
        "a service whose spawned task loses the request's context (its span starts a trace of its own)",
    ),
    ("log-outside-span", "a service whose log record is written outside the request's span (it carries no trace id)"),
];

/// The variable that chooses a broken version of the reference service.
pub const REGRESSION_VAR: &str = "LAB_REGRESSION";

/// Its value on the checker's run of the reference service: the variable is set on every
/// run, so that a test cannot tell the reference from a broken version by its presence
/// (`std::env::var(..).is_ok()`): a test that reads it fails on the reference.
pub const NO_REGRESSION: &str = "none";
