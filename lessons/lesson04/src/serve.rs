//! Starting the server: the same in every lesson, so read it once here and skip it later.
//!
//! - logs go to stderr through `tracing` (`RUST_LOG=debug` for more);
//! - `PORT` picks the port (default 3000, `0` = any free port);
//! - the first line on stdout is `listening on http://127.0.0.1:<port>` (tests wait for it);
//! - each connection is served by hyper, the HTTP library under warp, as HTTP/1.1 (see
//!   `accept_loop` for why we do not use `warp::serve`);
//! - Ctrl-C stops the server.

use std::io::IsTerminal;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;
use warp::Filter;

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
        never = accept_loop(listener, routes) => match never {},
        // An open event stream never finishes by itself, so we do not wait for the streams:
        // returning from main closes every connection at once. (lesson07 says goodbye properly.)
        _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C received, shutting down"),
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
async fn accept_loop<F>(listener: TcpListener, routes: F) -> std::convert::Infallible
where
    F: Filter + Clone + Send + Sync + 'static,
    F::Extract: warp::Reply,
{
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                // Most often "too many open files": wait a moment for connections to close
                // instead of retrying in a busy loop.
                tracing::warn!(%err, "cannot accept a connection; trying again in 100 ms");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // warp's routes as a hyper service: warp::service gives a tower `Service`, and hyper
        // wants its own `Service` trait, hence the adapter.
        let service = TowerToHyperService::new(warp::service(routes.clone()));
        tokio::spawn(async move {
            let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            if let Err(err) = connection.await {
                // Usually a reader that closed its tab or lost its network mid-stream.
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
