//! Starting AND STOPPING the server well (lesson07). Built on the same pieces as [`crate::run`],
//! with these differences, on purpose, because stopping well is part of that lesson:
//!
//! | lessons 01–06 (`startup::run(routes)`)             | lesson07 (`startup::graceful::run(routes, stop)`)          |
//! |---------------------------------------------------|------------------------------------------------------------|
//! | Ctrl-C only                                        | Ctrl-C **and SIGTERM** (what `docker stop`, systemd and Kubernetes send) |
//! | returns at once: every connection is cut mid-stream | stops accepting, flips the `stop` switch so that every event stream sends a last `event: shutdown` and ends, waits for the connections to finish |
//! | no deadline                                        | waits at most `SHUTDOWN_DEADLINE_MS` (default 5000), then exits anyway |
//! | no write deadline                                  | a client whose socket takes no bytes for `WRITE_TIMEOUT_MS` (default 30000) is disconnected (see `write_deadline.rs`) |
//!
//! Why not only wait for the connections? A graceful shutdown lets each open response finish.
//! An event stream never finishes by itself, so it would wait forever. The `stop` switch
//! (a `tokio::sync::watch` channel) is what makes each stream finish.

use std::time::Duration;

use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;
use warp::Filter;

use crate::accept::{self, Acceptor};
use crate::settings;
use crate::write_deadline::WriteDeadline;

/// How long a shutdown may wait for the clients when `SHUTDOWN_DEADLINE_MS` is not set.
const DEFAULT_SHUTDOWN_DEADLINE: Duration = Duration::from_secs(5);
/// How long a client's socket may take no bytes when `WRITE_TIMEOUT_MS` is not set: far longer
/// than a healthy client ever stalls (a phone between two cell towers: a few seconds), far
/// shorter than the hours a vanished client would otherwise hold its connection and buffers.
const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Starts logging, binds 127.0.0.1:$PORT, prints the `listening on` line and serves `routes`
/// until Ctrl-C or SIGTERM. Then: stop accepting, set `stop` to `true` (each event stream
/// watching it says goodbye and ends), and wait for the open connections, at most
/// `SHUTDOWN_DEADLINE_MS`.
pub async fn run<F>(routes: F, stop: watch::Sender<bool>)
where
    F: Filter + Clone + Send + Sync + 'static,
    F::Extract: warp::Reply,
{
    crate::init_logs();
    let header_timeout = settings::header_read_timeout();
    let write_timeout = settings::millis("WRITE_TIMEOUT_MS", DEFAULT_WRITE_TIMEOUT);
    let deadline = settings::millis("SHUTDOWN_DEADLINE_MS", DEFAULT_SHUTDOWN_DEADLINE);
    let listener = accept::bind(settings::port()).await;

    let server = tokio::spawn(serve_until_stopped(
        listener,
        routes,
        stop.subscribe(),
        header_timeout,
        write_timeout,
    ));

    let signal = shutdown_signal().await;
    tracing::info!("{signal} received: no new connections, saying goodbye to every client");
    // Every event stream is watching this switch: each sends its last frame and ends.
    stop.send_replace(true);

    match tokio::time::timeout(deadline, server).await {
        Ok(_) => tracing::info!("every connection is closed, exiting"),
        // A client that stopped reading cannot even receive its goodbye: do not wait for it.
        Err(_) => tracing::warn!(
            ?deadline,
            "some connections were still open at the shutdown deadline, exiting anyway"
        ),
    }
}

/// Accepts connections until `stop` is set, then closes the listening socket (no new
/// connections) and waits until every open connection has finished its response and closed.
async fn serve_until_stopped<F>(
    listener: TcpListener,
    routes: F,
    mut stop: watch::Receiver<bool>,
    header_timeout: Duration,
    write_timeout: Duration,
) where
    F: Filter + Clone + Send + Sync + 'static,
    F::Extract: warp::Reply,
{
    let http = accept::http1(header_timeout);
    // Every connection is watched by hyper-util's `GracefulShutdown`, so that we can tell each
    // one to finish its current response and close, and wait until it has.
    let connections = GracefulShutdown::new();
    let mut acceptor = Acceptor::new(listener);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = acceptor.next() => accepted,
            _ = stop.wait_for(|stop| *stop) => break,
        };
        let stream = WriteDeadline::new(stream, write_timeout, peer);
        accept::spawn_connection(&http, stream, peer, &routes, Some(&connections));
    }
    drop(acceptor);
    connections.shutdown().await;
}

/// Waits for Ctrl-C (SIGINT) or SIGTERM and says which one arrived.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "Ctrl-C",
                _ = sigterm.recv() => "SIGTERM",
            },
            Err(err) => {
                tracing::warn!(%err, "cannot listen for SIGTERM; only Ctrl-C stops the server");
                let _ = tokio::signal::ctrl_c().await;
                "Ctrl-C"
            }
        }
    }
    #[cfg(not(unix))]
    {
        // Other systems have no SIGTERM; Ctrl-C is the way to stop.
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}
