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
//! Why not just warp's `.graceful(signal)`? It stops accepting and then waits for every open
//! response to finish. An event stream never finishes by itself, so it would wait forever. The
//! `stop` switch (a `tokio::sync::watch` channel) is what makes each stream finish.

use std::io::IsTerminal;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::sync::watch;
use tracing_subscriber::EnvFilter;
use warp::Filter;

/// How long a shutdown may wait for the clients when `SHUTDOWN_DEADLINE_MS` is not set.
const DEFAULT_SHUTDOWN_DEADLINE: Duration = Duration::from_secs(5);

/// Sends logs to stderr, so stdout carries only what the lesson prints on purpose.
pub fn init_logs() {
    // warp logs every client that leaves an endless response as a "connection error"
    // (hyper's IncompleteMessage). For an event stream that is the normal way to end, so that
    // one target is silenced unless RUST_LOG asks for it.
    let default_filter = "info,warp::server=off";
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter)),
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

    // warp's graceful mode: when this future completes, warp closes the listening socket (no new
    // connections) and lets each open connection finish its current response, then close.
    let mut stopping = stop.subscribe();
    let stopped_accepting = async move {
        let _ = stopping.wait_for(|stop| *stop).await;
    };
    let server = warp::serve(routes)
        .incoming(listener)
        .graceful(stopped_accepting)
        .run();
    let server = tokio::spawn(server);

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
