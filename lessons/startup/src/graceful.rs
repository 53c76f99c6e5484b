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

/// The settings [`run`] reads: `PORT`, `HEADER_READ_TIMEOUT_MS`, `WRITE_TIMEOUT_MS` and
/// `SHUTDOWN_DEADLINE_MS`.
struct Settings {
    port: u16,
    header_timeout: Duration,
    write_timeout: Duration,
    deadline: Duration,
}

impl Settings {
    /// Reads them; a bad value ends the program (exit code 2) with what is allowed.
    fn from_env() -> Settings {
        Settings {
            port: settings::port(),
            header_timeout: settings::header_read_timeout(),
            write_timeout: settings::millis("WRITE_TIMEOUT_MS", DEFAULT_WRITE_TIMEOUT),
            deadline: settings::millis("SHUTDOWN_DEADLINE_MS", DEFAULT_SHUTDOWN_DEADLINE),
        }
    }
}

/// Checks every setting [`run`] will read (`PORT`, `HEADER_READ_TIMEOUT_MS`,
/// `WRITE_TIMEOUT_MS`, `SHUTDOWN_DEADLINE_MS`) and ends the program (exit code 2) at the first
/// bad one, with what is allowed.
///
/// Why call it before `run`, which reads them anyway? A service that connects to MongoDB first
/// would otherwise report a typo in `PORT` only after connecting (or after the seconds it takes
/// to find that MongoDB is away). A setting that is wrong should stop the server at once.
pub fn check_settings() {
    Settings::from_env();
}

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
    let settings = Settings::from_env();
    let deadline = settings.deadline;
    let listener = accept::bind(settings.port).await;

    let server = tokio::spawn(serve_until_stopped(
        listener,
        routes,
        stop.subscribe(),
        settings,
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
    settings: Settings,
) where
    F: Filter + Clone + Send + Sync + 'static,
    F::Extract: warp::Reply,
{
    let http = accept::http1(settings.header_timeout);
    // Every connection is watched by hyper-util's `GracefulShutdown`, so that we can tell each
    // one to finish its current response and close, and wait until it has.
    let connections = GracefulShutdown::new();
    let mut acceptor = Acceptor::new(listener);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = acceptor.next() => accepted,
            _ = stop.wait_for(|stop| *stop) => break,
        };
        let stream = WriteDeadline::new(stream, settings.write_timeout, peer);
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
