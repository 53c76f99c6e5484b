//! Starting AND STOPPING the server. This file is lesson01's `serve.rs` with one difference, on
//! purpose, because stopping well is part of this lesson:
//!
//! | lessons 01–06 (`serve::run(routes)`)              | lesson07 (`serve::run(routes, stop)`)                      |
//! |---------------------------------------------------|------------------------------------------------------------|
//! | Ctrl-C only                                        | Ctrl-C **and SIGTERM** (what `docker stop`, systemd and Kubernetes send) |
//! | returns at once: every connection is cut mid-stream | stops accepting, flips the `stop` switch so that every event stream sends a last `event: shutdown` and ends, waits for the connections to finish |
//! | no deadline                                        | waits at most `SHUTDOWN_DEADLINE_MS` (default 5000), then exits anyway |
//!
//! Everything else is as in every lesson: logs go to stderr through `tracing`; `PORT` picks the
//! port (default 3000, `0` = any free port); the first line on stdout is
//! `listening on http://127.0.0.1:<port>`.
//!
//! Like lesson01's, this `serve.rs` serves each connection with hyper as HTTP/1.1 (lesson01's
//! `accept_loop` says why). Here the loop also stops when `stop` is set, and every connection
//! is watched by hyper-util's `GracefulShutdown`, so that we can wait for them to close.
//!
//! Why not only wait for the connections? A graceful shutdown lets each open response finish.
//! An event stream never finishes by itself, so it would wait forever. The `stop` switch
//! (a `tokio::sync::watch` channel) is what makes each stream finish.

use std::io::IsTerminal;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing_subscriber::EnvFilter;
use warp::Filter;

/// How long a shutdown may wait for the clients when `SHUTDOWN_DEADLINE_MS` is not set.
const DEFAULT_SHUTDOWN_DEADLINE: Duration = Duration::from_secs(5);

/// Sends logs to stderr, so stdout carries only what the lesson prints on purpose.
pub fn init_logs() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
}

/// Binds 127.0.0.1:$PORT, prints the `listening on` line and serves `routes` until Ctrl-C or
/// SIGTERM. Then: stop accepting, set `stop` to `true` (each event stream watching it says
/// goodbye and ends), and wait for the open connections, at most `SHUTDOWN_DEADLINE_MS`.
pub async fn run<F>(routes: F, stop: watch::Sender<bool>)
where
    F: Filter + Clone + Send + Sync + 'static,
    F::Extract: warp::Reply,
{
    let port = match std::env::var("PORT") {
        Err(_) => 3000,
        Ok(text) => text.parse::<u16>().unwrap_or_else(|_| {
            exit(
                2,
                &format!(
                    "PORT must be a port number from 0 to 65535 (0 picks a free one), got {text:?}"
                ),
            )
        }),
    };
    let deadline = match std::env::var("SHUTDOWN_DEADLINE_MS") {
        Err(_) => DEFAULT_SHUTDOWN_DEADLINE,
        Ok(text) => match text.parse::<u64>() {
            Ok(ms) if (1..=600_000).contains(&ms) => Duration::from_millis(ms),
            _ => exit(
                2,
                &format!("SHUTDOWN_DEADLINE_MS must be a whole number of milliseconds from 1 to 600000, got {text:?}"),
            ),
        },
    };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(err) => exit(
            1,
            &format!("cannot listen on {addr}: {err}\nhint: is another program using the port? Try PORT=3001, or PORT=0 for any free port"),
        ),
    };
    let addr = listener.local_addr().unwrap_or(addr);
    println!("listening on http://{addr}");

    let server = tokio::spawn(serve_until_stopped(listener, routes, stop.subscribe()));

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
async fn serve_until_stopped<F>(listener: TcpListener, routes: F, mut stop: watch::Receiver<bool>)
where
    F: Filter + Clone + Send + Sync + 'static,
    F::Extract: warp::Reply,
{
    let connections = GracefulShutdown::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|stop| *stop) => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(err) => {
                // Most often "too many open files": wait a moment instead of a busy loop.
                tracing::warn!(%err, "cannot accept a connection; trying again in 100 ms");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let service = TowerToHyperService::new(warp::service(routes.clone()));
        let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
        // `watch` lets `connections.shutdown()` below tell this connection to finish its
        // current response and close, and wait until it has.
        let connection = connections.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                // Usually a reader that closed its tab or lost its network mid-stream.
                tracing::debug!(%peer, %err, "connection ended");
            }
        });
    }
    drop(listener);
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

/// Prints `error: <message>` on stderr and exits with `code`.
pub fn exit(code: i32, message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(code)
}
