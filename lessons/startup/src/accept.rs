//! Accepting connections and serving each one as HTTP/1.1.
//!
//! `warp::serve(routes).run(addr)` would do all of this in one line. We write these few lines
//! ourselves because an event-stream server holds thousands of connections for hours:
//!
//! - warp's loop also accepts HTTP/2 without TLS ("h2c", which no browser speaks). To tell the
//!   two apart it reads the first bytes of each connection ahead of hyper, and that makes hyper
//!   grow its read buffer to 16 KiB for every connection. Served as HTTP/1.1 only, an idle
//!   reader costs 11.5 KiB of server memory instead of 17.6 KiB (see BENCHMARKS.md).
//! - warp logs every reader that leaves an event stream as an error. Leaving is how an event
//!   stream normally ends, so we log it at debug level.
//! - we give hyper a timer and a header-read timeout (see `settings::header_read_timeout`).

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use warp::Filter;

use crate::exit;

/// Binds 127.0.0.1:`port` and prints the `listening on` line; a port that is taken ends the
/// program with a hint.
pub async fn bind(port: u16) -> TcpListener {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener = match TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(err) => exit(
            1,
            &format!("cannot listen on {addr}: {err}\nhint: is another program using the port? Try PORT=3001, or PORT=0 for any free port"),
        ),
    };
    let addr = listener.local_addr().unwrap_or(addr);
    println!("listening on http://{addr}");
    listener
}

/// One set of HTTP/1.1 settings for every connection. `TokioTimer` is the clock hyper needs for
/// any timeout; without it hyper would refuse `header_read_timeout`.
pub fn http1(header_timeout: Duration) -> http1::Builder {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    http
}

/// Waits for the next connection. An error is logged once per outage, not ten times a second.
pub struct Acceptor {
    listener: TcpListener,
    /// How many times in a row `accept` has failed.
    failures: u64,
}

impl Acceptor {
    pub fn new(listener: TcpListener) -> Acceptor {
        Acceptor {
            listener,
            failures: 0,
        }
    }

    /// The next connection and its peer address.
    pub async fn next(&mut self) -> (TcpStream, SocketAddr) {
        loop {
            match self.listener.accept().await {
                Ok(accepted) => {
                    if self.failures > 0 {
                        tracing::info!(failures = self.failures, "accepting connections again");
                        self.failures = 0;
                    }
                    return accepted;
                }
                Err(err) => {
                    // Most often "too many open files" (EMFILE): every descriptor is in use. The
                    // waiting client stays in the kernel's queue; we try again in 100 ms, when
                    // some connection may have closed, instead of retrying in a busy loop.
                    if self.failures == 0 {
                        tracing::warn!(%err, "cannot accept connections; trying again every 100 ms");
                    }
                    self.failures += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
}

/// Serves one connection (`io`, from `peer`) with `routes` on a task of its own.
///
/// `graceful`: lesson07 passes its `GracefulShutdown`, so that it can later tell every
/// connection to finish and wait until each has closed; the other lessons pass `None`.
pub fn spawn_connection<F, IO>(
    http: &http1::Builder,
    io: IO,
    peer: SocketAddr,
    routes: &F,
    graceful: Option<&GracefulShutdown>,
) where
    F: Filter + Clone + Send + Sync + 'static,
    F::Extract: warp::Reply,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // warp's routes as a hyper service: `warp::service` gives a tower `Service`, and hyper
    // wants its own `Service` trait, hence the adapter.
    let service = TowerToHyperService::new(warp::service(routes.clone()));
    let connection = http.serve_connection(TokioIo::new(io), service);
    match graceful {
        Some(graceful) => {
            let connection = graceful.watch(connection);
            tokio::spawn(async move { ended(peer, connection.await) });
        }
        None => {
            tokio::spawn(async move { ended(peer, connection.await) });
        }
    }
}

/// How a connection ended. An error is usually a reader that closed its tab or lost its
/// network mid-stream, or a client that did not send its headers in time: normal for an event
/// stream, so it is logged at debug level.
fn ended(peer: SocketAddr, result: Result<(), hyper::Error>) {
    if let Err(err) = result {
        tracing::debug!(%peer, %err, "connection ended");
    }
}

/// Accepts connections for ever; each one is served on its own task, so a slow or endless
/// response (an event stream) never holds up the next client.
pub async fn serve_forever<F>(
    listener: TcpListener,
    routes: F,
    header_timeout: Duration,
) -> std::convert::Infallible
where
    F: Filter + Clone + Send + Sync + 'static,
    F::Extract: warp::Reply,
{
    let http = http1(header_timeout);
    let mut acceptor = Acceptor::new(listener);
    loop {
        let (stream, peer) = acceptor.next().await;
        spawn_connection(&http, stream, peer, &routes, None);
    }
}
