//! Starting AND STOPPING the server. This file is lesson01's `serve.rs` with one difference, on
//! purpose, because stopping well is part of this lesson:
//!
//! | lessons 01–06 (`serve::run(routes)`)              | lesson07 (`serve::run(routes, stop)`)                      |
//! |---------------------------------------------------|------------------------------------------------------------|
//! | Ctrl-C only                                        | Ctrl-C **and SIGTERM** (what `docker stop`, systemd and Kubernetes send) |
//! | returns at once: every connection is cut mid-stream | stops accepting, flips the `stop` switch so that every event stream sends a last `event: shutdown` and ends, waits for the connections to finish |
//! | no deadline                                        | waits at most `SHUTDOWN_DEADLINE_MS` (default 5000), then exits anyway |
//! | no write deadline                                  | a client whose socket takes no bytes for `WRITE_TIMEOUT_MS` (default 30000) is disconnected (`WriteDeadline` below) |
//!
//! Everything else is as in every lesson: logs go to stderr through `tracing`; `PORT` picks the
//! port (default 3000, `0` = any free port); the first line on stdout is
//! `listening on http://127.0.0.1:<port>`; hyper gets a timer and closes a connection that has
//! not sent a whole request head within `HEADER_READ_TIMEOUT_MS` (default 10000), so silent or
//! dripping connections cannot use up the server's file descriptors. That timeout covers only
//! the request head (and the idle wait for the next request on a kept-alive connection): an event
//! stream, once its request is read, stays open as long as it likes.
//!
//! Like lesson01's, this `serve.rs` serves each connection with hyper as HTTP/1.1 (lesson01's
//! `accept_loop` says why). Here the loop also stops when `stop` is set, and every connection
//! is watched by hyper-util's `GracefulShutdown`, so that we can wait for them to close.
//!
//! Why not only wait for the connections? A graceful shutdown lets each open response finish.
//! An event stream never finishes by itself, so it would wait forever. The `stop` switch
//! (a `tokio::sync::watch` channel) is what makes each stream finish.

use std::future::Future;
use std::io::{self, IsTerminal};
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::Sleep;
use tracing_subscriber::EnvFilter;
use warp::Filter;

/// How long a shutdown may wait for the clients when `SHUTDOWN_DEADLINE_MS` is not set.
const DEFAULT_SHUTDOWN_DEADLINE: Duration = Duration::from_secs(5);
/// How long a client may take to send its request head when `HEADER_READ_TIMEOUT_MS` is not set.
const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client's socket may take no bytes when `WRITE_TIMEOUT_MS` is not set: far longer
/// than a healthy client ever stalls (a phone between two cell towers: a few seconds), far
/// shorter than the hours a vanished client would otherwise hold its connection and buffers.
const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// The connection settings `serve.rs` reads (the lesson's other settings are in `config.rs`).
pub struct Settings {
    port: u16,
    shutdown_deadline: Duration,
    header_read_timeout: Duration,
    write_timeout: Duration,
}

impl Settings {
    /// Reads them from the environment; a bad value stops the server with what is allowed.
    pub fn from_env() -> Settings {
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
        Settings {
            port,
            shutdown_deadline: millis("SHUTDOWN_DEADLINE_MS", DEFAULT_SHUTDOWN_DEADLINE),
            header_read_timeout: millis("HEADER_READ_TIMEOUT_MS", DEFAULT_HEADER_READ_TIMEOUT),
            write_timeout: millis("WRITE_TIMEOUT_MS", DEFAULT_WRITE_TIMEOUT),
        }
    }
}

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

/// A duration setting in milliseconds, from 1 to 600000 (ten minutes); `default` when unset.
fn millis(name: &str, default: Duration) -> Duration {
    match std::env::var(name) {
        Err(_) => default,
        Ok(text) => match text.parse::<u64>() {
            Ok(ms) if (1..=600_000).contains(&ms) => Duration::from_millis(ms),
            _ => exit(
                2,
                &format!(
                    "{name} must be a whole number of milliseconds from 1 to 600000, got {text:?}"
                ),
            ),
        },
    }
}

/// Binds 127.0.0.1:$PORT, prints the `listening on` line and serves `routes` until Ctrl-C or
/// SIGTERM. Then: stop accepting, set `stop` to `true` (each event stream watching it says
/// goodbye and ends), and wait for the open connections, at most `SHUTDOWN_DEADLINE_MS`.
pub async fn run<F>(routes: F, stop: watch::Sender<bool>)
where
    F: Filter + Clone + Send + Sync + 'static,
    F::Extract: warp::Reply,
{
    let settings = Settings::from_env();
    let (port, deadline) = (settings.port, settings.shutdown_deadline);
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
    let mut http = http1::Builder::new();
    // Without a timer hyper has no clock and no timeout works: a client that connects and says
    // nothing would hold its socket (a file descriptor) for ever.
    http.timer(TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout);
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
        let stream = WriteDeadline::new(stream, settings.write_timeout, peer);
        let connection = http.serve_connection(TokioIo::new(stream), service);
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

/// A connection (`io`) whose writes must make progress within `limit` (`WRITE_TIMEOUT_MS`).
///
/// Why around the socket, and not a timer in the event stream? hyper asks the event stream for
/// its next frame only when it has room to write it. When a client stops reading, its TCP window
/// fills, the socket takes no more bytes, hyper stops asking, and a timer inside the stream would
/// never be looked at again. The one place that sees a write that cannot proceed is the socket
/// itself: `poll_write` answers `Pending`. So this wrapper starts a timer at the first `Pending`
/// and clears it at the next write that goes through. If the timer runs out first, the write
/// fails with `TimedOut`; hyper closes the connection and drops the response, and with it the
/// client's event stream, its queue and its place in the fan-out (`clients.rs`). A client on a
/// slow network is not cut: each write that goes through restarts its clock.
struct WriteDeadline<IO> {
    io: IO,
    limit: Duration,
    peer: SocketAddr,
    /// Running while the socket takes no bytes; `None` while writes go through.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<IO> WriteDeadline<IO> {
    fn new(io: IO, limit: Duration, peer: SocketAddr) -> WriteDeadline<IO> {
        WriteDeadline {
            io,
            limit,
            peer,
            stalled: None,
        }
    }

    /// Passes on what a write returned, minding the clock: `Pending` starts it (or checks it),
    /// anything else stops it.
    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if polled.is_ready() {
            self.stalled = None;
            return polled;
        }
        let (limit, peer) = (self.limit, self.peer);
        let timer = self.stalled.get_or_insert_with(|| {
            tracing::debug!(%peer, "the client takes no more bytes: its write deadline starts");
            Box::pin(tokio::time::sleep(limit))
        });
        // Polling the timer asks tokio to wake this connection when it runs out: hyper then
        // tries to write again, and gets the error below.
        if timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        tracing::info!(
            %peer,
            write_timeout_ms = limit.as_millis() as u64,
            "a client took no bytes for WRITE_TIMEOUT_MS: closing its connection"
        );
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the client took no bytes for WRITE_TIMEOUT_MS",
        )))
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write(cx, buf);
        this.watch(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    /// Passed on without touching the clock: a TCP socket's flush is ready at once (the kernel
    /// sends what it has), so it says nothing about whether the client takes bytes.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// Reading is passed on unchanged (`HEADER_READ_TIMEOUT_MS` bounds the wait for a request).
impl<IO: AsyncRead + Unpin> AsyncRead for WriteDeadline<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}
