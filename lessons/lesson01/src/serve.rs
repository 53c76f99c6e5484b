//! Starting the server: the same in every lesson, so read it once here and skip it later.
//!
//! - logs go to stderr through `tracing` (`RUST_LOG=debug` for more);
//! - `PORT` picks the port (default 3000, `0` = any free port);
//! - a client gets `HEADER_READ_TIMEOUT_MS` (default 10000) to send each request's headers,
//!   then its connection is closed (see `header_read_timeout` for why);
//! - the first line on stdout is `listening on http://127.0.0.1:<port>` (tests wait for it);
//! - each connection is served by hyper, the HTTP library under warp, as HTTP/1.1 (see
//!   `accept_loop` for why we do not use `warp::serve`);
//! - Ctrl-C stops the server.

use std::io::IsTerminal;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;
use warp::Filter;

/// How long a client may take to send a request's headers when `HEADER_READ_TIMEOUT_MS` is not set.
const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

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

/// Binds 127.0.0.1:$PORT, prints the `listening on` line and serves `routes` until Ctrl-C.
/// A bad `PORT` or a port that is taken ends the program with a message that says what to do.
pub async fn run<F>(routes: F)
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
    let header_timeout = header_read_timeout();
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

    tokio::select! {
        never = accept_loop(listener, routes, header_timeout) => match never {},
        // An open event stream never finishes by itself, so we do not wait for the streams:
        // returning from main closes every connection at once. (lesson07 says goodbye properly.)
        _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C received, shutting down"),
    }
}

/// How long hyper waits for a request's headers: `HEADER_READ_TIMEOUT_MS`, default 10 s.
///
/// Every open connection holds a file descriptor and some memory, and a process may have only
/// so many descriptors (often 1,024, see `ulimit -n`). A client that connects and then sends
/// nothing, or one byte now and then (the "slowloris" attack), would keep its connection for
/// ever: hyper has no clock unless we give it one. With a few hundred such connections the
/// server cannot accept anyone else, not even a page asking for `/stats`.
///
/// hyper's `header_read_timeout` runs while hyper waits for a request head: from the moment a
/// connection is accepted until the blank line that ends the first request's headers, and
/// again, on a keep-alive connection, from the end of one response until the next request's
/// headers are in. So a silent client, a client that drips its headers, and a keep-alive
/// connection left idle are all closed after this time, without an answer. It does not run
/// while a response is being sent: an event stream that stays open for hours is not cut.
/// (Nor does it limit how slowly a request *body* arrives; no lesson before 05 reads one.)
fn header_read_timeout() -> Duration {
    match std::env::var("HEADER_READ_TIMEOUT_MS") {
        Err(_) => DEFAULT_HEADER_READ_TIMEOUT,
        Ok(text) => match text.parse::<u64>() {
            Ok(ms) if (1..=600_000).contains(&ms) => Duration::from_millis(ms),
            _ => exit(
                2,
                &format!("HEADER_READ_TIMEOUT_MS must be a whole number of milliseconds from 1 to 600000, got {text:?}"),
            ),
        },
    }
}

/// Accepts connections for ever; each one is served on its own task.
///
/// `warp::serve(routes).run()` would do the same with one line. We write these few lines
/// ourselves because an event-stream server holds thousands of connections for hours:
///
/// - warp's loop also accepts HTTP/2 without TLS ("h2c", which no browser speaks). To tell the
///   two apart it reads the first bytes of each connection ahead of hyper, and that makes hyper
///   grow its read buffer to 16 KiB for every connection. Served as HTTP/1.1 only, an idle
///   reader costs 11.5 KiB of server memory instead of 17.6 KiB (see BENCHMARKS.md).
/// - warp logs every reader that leaves an event stream as an error. Leaving is how an event
///   stream normally ends, so we log it at debug level.
/// - we give hyper a timer and a header-read timeout (see `header_read_timeout`).
async fn accept_loop<F>(
    listener: TcpListener,
    routes: F,
    header_timeout: Duration,
) -> std::convert::Infallible
where
    F: Filter + Clone + Send + Sync + 'static,
    F::Extract: warp::Reply,
{
    // One set of HTTP/1.1 settings for every connection. `TokioTimer` is the clock hyper
    // needs for any timeout; without it hyper would refuse `header_read_timeout`.
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout);

    // How many times in a row `accept` has failed, so we warn once, not ten times a second.
    let mut failures: u64 = 0;
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                // Most often "too many open files" (EMFILE): every descriptor is in use. The
                // waiting client stays in the kernel's queue; we try again in 100 ms, when
                // some connection may have closed, instead of retrying in a busy loop.
                if failures == 0 {
                    tracing::warn!(%err, "cannot accept connections; trying again every 100 ms");
                }
                failures += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if failures > 0 {
            tracing::info!(failures, "accepting connections again");
            failures = 0;
        }
        // warp's routes as a hyper service: warp::service gives a tower `Service`, and hyper
        // wants its own `Service` trait, hence the adapter.
        let service = TowerToHyperService::new(warp::service(routes.clone()));
        let connection = http.serve_connection(TokioIo::new(stream), service);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                // Usually a reader that closed its tab or lost its network mid-stream, or a
                // client that did not send its headers in time.
                tracing::debug!(%peer, %err, "connection ended");
            }
        });
    }
}

/// Prints `error: <message>` on stderr and exits with `code`.
pub fn exit(code: i32, message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(code)
}
