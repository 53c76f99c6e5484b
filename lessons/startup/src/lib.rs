//! Starting a lesson's server: the same in every lesson, so it lives here and is read once.
//!
//! Every lesson's `main` ends with one line, `startup::run(routes()).await`, which:
//!
//! - sends logs to stderr through `tracing` ([`init_logs`]; `RUST_LOG=debug` for more), so that
//!   stdout carries only what the lesson prints on purpose;
//! - binds `127.0.0.1:$PORT` (default 3000, `PORT=0` picks a free port) and prints
//!   `listening on http://127.0.0.1:<port>` as its first line on stdout (tests wait for it);
//! - serves each connection with hyper, the HTTP library under warp, as HTTP/1.1, and gives a
//!   client `HEADER_READ_TIMEOUT_MS` (default 10000) to send each request head (see
//!   [`accept`] for both reasons);
//! - stops on Ctrl-C.
//!
//! lesson07 stops *well* instead: [`graceful::run`] builds on the same pieces, adds SIGTERM, a
//! goodbye to every open event stream, a shutdown deadline and a write deadline per connection.
//!
//! Read it once, in this order: this file ([`run`], [`init_logs`], [`exit`]), then `accept.rs`
//! (binding the port, the accept loop, one task per connection, and why we do not call
//! `warp::serve`), then `settings.rs` (`PORT` and the other settings, and why a client gets only
//! so long to send its headers). lessons/lesson01/README.md walks through the same three files.

pub mod accept;
pub mod graceful;
pub mod settings;
mod write_deadline;

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use warp::Filter;

/// Sends logs to stderr, so stdout carries only what the lesson prints on purpose.
///
/// Calling it again does nothing: a MongoDB lesson starts logging before it connects (so that
/// `DATABASE CONNECTED` and the start-up errors are logged), and [`run`] calls it once more.
pub fn init_logs() {
    // `Err` only means that logging is already on.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .try_init();
}

/// Starts logging, binds 127.0.0.1:$PORT, prints the `listening on` line and serves `routes`
/// until Ctrl-C. A bad setting (exit code 2) or a port that is taken (exit code 1) ends the
/// program with a message that says what to do.
///
/// `routes` is any warp filter whose answer is a reply: a lesson builds its routes and hands
/// them over; from here on, each connection gets a clone of them.
pub async fn run<F>(routes: F)
where
    F: Filter + Clone + Send + Sync + 'static,
    F::Extract: warp::Reply,
{
    init_logs();
    let header_timeout = settings::header_read_timeout();
    let listener = accept::bind(settings::port()).await;
    tokio::select! {
        never = accept::serve_forever(listener, routes, header_timeout) => match never {},
        // An open event stream never finishes by itself, so we do not wait for the streams:
        // returning from main closes every connection at once. (lesson07 says goodbye properly.)
        _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C received, shutting down"),
    }
}

/// Prints `error: <message>` on stderr and exits with `code`: 2 for a bad setting, 1 when the
/// server cannot start (a port in use). Used where a panic would only confuse: the message says
/// what is wrong and how to fix it, and nothing else is printed.
pub fn exit(code: i32, message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(code)
}
