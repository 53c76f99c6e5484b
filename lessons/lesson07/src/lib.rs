//! Lesson 07: what a production SSE service needs, beyond the notes.
//!
//! The same feed as lessons 04–05 (one change stream, every insert sent as `event: newPost`,
//! from the `posts` crate), hardened for real traffic. Each concern lives in one file:
//!
//! - `sse.rs`: `GET /sse`: CORS for pages of other origins, `204` to stop a logged-out client for
//!   good, `X-Accel-Buffering: no`, keep-alive comments, the last frame when a stream ends;
//! - `logout.rs`: the logged-out tokens, remembered with a bound (how many, how long);
//! - `clients.rs`: a bounded queue per client and the slow-client policy;
//! - `changes.rs`: the change stream kept alive through MongoDB faults;
//! - `config.rs`: the settings, from environment variables, checked at start-up;
//! - `frames.rs`: the frames this lesson adds, byte for byte;
//! - `routes.rs`: every route; gzip for the page and `GET /posts`, never for `/sse`.
//!
//! Stopping well (Ctrl-C and SIGTERM, a goodbye to every stream, a shutdown deadline, a write
//! deadline per connection) is `startup::graceful` (lessons/startup/src/graceful.rs and
//! write_deadline.rs): [`service`] hands it the `stop` switch that every stream watches.
//!
//! lesson08 runs this very service as several instances: [`connect`], then [`service`] once per
//! instance.

mod changes;
mod clients;
pub mod config;
pub mod exercise;
pub mod frames;
mod logout;
mod routes;
mod sse;

use mongodb::bson::Document;
use mongodb::Collection;
use posts::mongo::{self, PostChanges, StartupError, Watch};
use tokio::sync::watch;
use warp::{Filter, Rejection, Reply};

use crate::clients::Clients;
use crate::config::Config;
use crate::logout::LoggedOut;
use crate::sse::Sse;

/// Connects to `MONGODB_URI` (`posts::mongo::uri_from_env`) and opens the one change
/// stream of inserts into `post`, as lessons 04–05 do before they serve. A start-up error ends
/// the program with its message and exit code (`StartupError::exit_code`).
pub async fn connect() -> (Collection<Document>, PostChanges) {
    let uri = mongo::uri_from_env();
    let opened = async {
        let posts = mongo::connect(&uri).await?;
        let changes = mongo::watch_inserts(&posts).await?;
        Ok::<_, StartupError>((posts, changes))
    };
    match opened.await {
        Ok(opened) => opened,
        Err(err) => startup::exit(err.exit_code(), &err.to_string()),
    }
}

/// One instance of the service: its routes, and the `stop` switch that ends it.
///
/// `posts` is the notes' collection and `changes` its change stream of inserts, both from
/// [`connect`]. This starts the task that reads `changes` and fans each post out to every
/// client (so call it inside the tokio runtime), and returns:
///
/// - the routes: `GET /`, `/style.css`, `/posts`, `/sse`, `/stats` and `POST /logout`;
/// - `stop`: set it to `true` and every event stream sends `event: shutdown` and ends, and the
///   change-stream task stops. `startup::graceful::run(routes, stop)` sets it on Ctrl-C or
///   SIGTERM.
pub fn service(
    config: Config,
    posts: Collection<Document>,
    changes: PostChanges,
) -> (
    impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone,
    watch::Sender<bool>,
) {
    tracing::info!(
        keep_alive_ms = config.keep_alive.as_millis() as u64,
        client_buffer = config.client_buffer,
        allowed_origins = ?config.allowed_origins,
        "watching collection `post` for inserts"
    );
    let clients = Clients::new(config.client_buffer);
    let (stop, stopping) = watch::channel(false);

    // Unlike lesson04's feed (six tries, then exit), this task never gives up: it reopens the
    // change stream after every failure, with a backoff, and tells the clients what happened.
    let follow = changes::follow(
        Watch::inserts(&posts),
        changes,
        clients.clone(),
        config.reopen_backoff,
    );
    let mut stopped = stopping.clone();
    tokio::spawn(async move {
        tokio::select! {
            () = follow => {}
            // A stopped instance reads no more changes (lesson08 stops one of several).
            _ = stopped.wait_for(|stop| *stop) => {}
        }
    });

    let sse = Sse {
        clients,
        keep_alive: config.keep_alive,
        allowed_origins: config.allowed_origins,
        stop: stopping,
        logged_out: watch::Sender::new(LoggedOut::default()),
    };
    (routes::routes(sse, posts), stop)
}
