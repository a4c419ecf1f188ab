//! Tests of the distance service's telemetry: your work in exercise 20. See README.md.
//!
//! TODO: write the tests that protect what the service emits. The checker runs them on the
//! reference service (every test must pass there) and on broken versions of it (each
//! must make at least one of your tests fail).
//!
//! What a test needs, in order (README: "A test's setup"):
//!
//! 1. Exporters you can read back: `opentelemetry_sdk`'s in-memory ones, one per signal
//!    (spans, metrics, logs). Clone each before you hand it to a provider: the clone you
//!    keep reads what the provider's copy received.
//! 2. Providers of your own over them, built in the test (never the global ones), and a
//!    `lab::Telemetry` holding the three (`Telemetry::new(..)`, then
//!    `.with_meter_provider(..)`, `.with_logger_provider(..)`).
//! 3. The service: `lab::reference::router(&telemetry, position)`, where `position` is a
//!    `lab::PositionClient` that calls the lab's position service in process
//!    (`PositionClient::in_process(..)` gives it, with a switch that takes it down).
//! 4. A request, sent to the router without a network: tower's `ServiceExt::oneshot`, in an
//!    async test (`#[tokio::test]`).
//! 5. Read the exporters back (metrics only after a flush of the meter provider) and assert
//!    on the contract: names, kinds, attribute keys and values, units, parentage.
//!
//! `cargo test` in this folder runs them; `cargo run -p checker -- check 20` grades them.
