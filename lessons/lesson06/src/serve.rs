//! Starting the server: the same in every lesson, so read it once here and skip it later.
//!
//! - logs go to stderr through `tracing` (`RUST_LOG=debug` for more);
//! - `PORT` picks the port (default 3000, `0` = any free port);
//! - the first line on stdout is `listening on http://127.0.0.1:<port>` (tests wait for it);
//! - Ctrl-C stops the server.

use std::io::IsTerminal;
use std::net::{Ipv4Addr, SocketAddr};

use tracing_subscriber::EnvFilter;
use warp::Filter;

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

    let server = warp::serve(routes).incoming(listener).run();
    tokio::select! {
        () = server => {}
        // An open event stream never finishes by itself, so we do not wait for the streams:
        // returning from main closes every connection at once. (lesson07 says goodbye properly.)
        _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C received, shutting down"),
    }
}

/// Prints `error: <message>` on stderr and exits with `code`.
pub fn exit(code: i32, message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(code)
}
