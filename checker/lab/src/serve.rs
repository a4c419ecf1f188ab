//! Running a service for real: both services on localhost over TCP, exporting to stdout
//! or over OTLP (see [`Edge::from_env`]), flushing everything on Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::process::ExitCode;

use tokio::net::TcpListener;

use crate::service::{Orbit, PositionClient};
use crate::{Edge, Service};

/// Address of the distance service (default `127.0.0.1:3000`).
pub const DISTANCE_ADDR: &str = "LAB_DISTANCE_ADDR";
/// Address of the position service (default `127.0.0.1:3001`).
pub const POSITION_ADDR: &str = "LAB_POSITION_ADDR";

pub fn main<S: Service>() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime starts");
    let served = runtime.block_on(serve::<S>());
    // Do not wait for a flush that a second Ctrl-C gave up on (see `serve`).
    runtime.shutdown_background();
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn addr(var: &str, default: &str) -> Result<SocketAddr, String> {
    let text = std::env::var(var).unwrap_or_else(|_| default.to_string());
    text.parse().map_err(|e| format!("{var}={text} is not an address like {default}: {e}"))
}

async fn serve<S: Service>() -> Result<(), String> {
    let distance_addr = addr(DISTANCE_ADDR, "127.0.0.1:3000")?;
    let position_addr = addr(POSITION_ADDR, "127.0.0.1:3001")?;
    let bind = |a: SocketAddr| async move {
        TcpListener::bind(a).await.map_err(|e| {
            format!("cannot listen on {a}: {e} (set {DISTANCE_ADDR} / {POSITION_ADDR} to use other ports)")
        })
    };
    let position_listener = bind(position_addr).await?;
    let distance_listener = bind(distance_addr).await?;

    let telemetry = S::telemetry(Edge::from_env()?);
    let position = PositionClient::tcp(format!("http://{position_addr}"));
    let distance_router = S::distance(&telemetry, position);
    let position_router = S::position(&telemetry, Orbit::Simulated);

    eprintln!("distance service on http://{distance_addr}  (try: curl http://{distance_addr}/distance/paris)");
    eprintln!("position service on http://{position_addr}");
    eprintln!("telemetry goes to {}; Ctrl-C flushes it and stops", Edge::describe_env());

    let served = tokio::select! {
        r = axum::serve(position_listener, position_router) => r.map_err(|e| format!("position service: {e}")),
        r = axum::serve(distance_listener, distance_router) => r.map_err(|e| format!("distance service: {e}")),
        () = stop_signal() => Ok(()),
    };
    // Shutting down flushes batch processors and readers; it blocks, so not on a worker.
    // It is bounded by the exporters' timeouts (OTLP: 10 s per export by default), but a
    // learner should not have to wait for a collector that is not there: once the first
    // signal arrived, ours is the only handler, so a second one must mean "quit now".
    eprintln!("flushing telemetry (Ctrl-C again to quit without waiting)");
    let flush = tokio::task::spawn_blocking(move || S::shutdown(&telemetry));
    tokio::select! {
        flushed = flush => {
            eprintln!("telemetry flushed; bye");
            served.and(flushed.map_err(|e| format!("shutdown: {e}")))
        }
        () = stop_signal() => {
            eprintln!("quitting without waiting for the telemetry flush");
            served
        }
    }
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
