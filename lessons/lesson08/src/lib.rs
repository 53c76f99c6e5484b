//! Lesson 08: the service behind a real reverse proxy (nginx), on three instances, over HTTP/2,
//! with nothing lost when an instance dies.
//!
//! One instance is the service built up to lesson07 (lesson04's one change stream and feed from
//! `posts`, with lesson07's first frame, keep-alive comment and proxy header; lesson07's
//! per-client queues, CORS and graceful shutdown are left out to keep it short), plus what is
//! new here (read it in this order):
//!
//! - `instance.rs`: each instance has a name (`INSTANCE`, default its port) that every response
//!   carries in `X-Instance` and `/stats` shows, so you can see who serves you;
//! - `catch_up.rs`: every post carries its change event's resume token as `id:`. The token
//!   belongs to the replica set, not to the instance: a reader that comes back with
//!   `Last-Event-ID` gets what it missed from *any* instance, then the live posts. This is why
//!   no sticky sessions are needed;
//! - `keep_alive.rs`: a comment after `KEEP_ALIVE_MS` of silence, so that a proxy's idle timeout
//!   (`proxy_read_timeout`) never ends a quiet stream;
//! - `service.rs`: the routes of one instance, on lesson07's frames;
//! - `nginx.rs` and `../nginx.conf`: the proxy in front, filled in and started as a child;
//! - `tls.rs`: the self-signed certificate for nginx's HTTP/2 listener (browsers speak HTTP/2
//!   only over TLS);
//! - `bin/cluster.rs`: MongoDB, three instances and nginx with one command.

pub mod catch_up;
pub mod exercise;
pub mod instance;
pub mod keep_alive;
pub mod nginx;
pub mod service;
pub mod tls;

use std::time::Duration;

use mongodb::bson::Document;
use mongodb::Collection;
use posts::feed::Feed;
use posts::mongo::{self, StartupError, Watch};
use startup::{accept, settings};
use warp::{Filter, Reply};

/// What `cargo run -p lesson08` runs: ONE instance, like every other lesson (`PORT`, the
/// `listening on` line, Ctrl-C). `--bin cluster` runs three of these behind nginx.
pub async fn run() {
    run_with(keep_alive::from_env()).await
}

/// [`run`] with a given keep-alive period (`None`: no keep-alive comments at all).
pub async fn run_with(keep_alive: Option<Duration>) {
    serve(move |instance, posts, feed| service::routes(instance, posts, feed, keep_alive)).await
}

/// Connects, opens this instance's one change stream, binds `PORT` and serves what `routes`
/// makes of them until Ctrl-C. (The exercises serve their own routes the same way.)
pub async fn serve<R, F>(routes: R)
where
    R: FnOnce(instance::Instance, Collection<Document>, Feed) -> F,
    F: Filter + Clone + Send + Sync + 'static,
    F::Extract: Reply,
{
    // Logging starts before connecting, so that `DATABASE CONNECTED` (or why not) is logged.
    startup::init_logs();
    let header_timeout = settings::header_read_timeout();
    let uri = mongo::uri_from_env();
    let opened = async {
        let posts = mongo::connect(&uri).await?;
        // THIS instance's one change stream. Three instances: three change streams, however
        // many readers each one has.
        let feed = Feed::open_with(Watch::inserts(&posts), catch_up::new_post_with_id).await?;
        Ok::<_, StartupError>((posts, feed))
    };
    let (posts, (feed, feed_task)) = match opened.await {
        Ok(opened) => opened,
        Err(err) => startup::exit(err.exit_code(), &err.to_string()),
    };
    let listener = accept::bind(settings::port()).await;
    let port = listener.local_addr().map(|addr| addr.port()).unwrap_or(0);
    let instance = instance::Instance::from_env(port);
    tracing::info!(instance = instance.name(), "instance ready");

    let routes = routes(instance, posts, feed);
    tokio::select! {
        never = accept::serve_forever(listener, routes, header_timeout) => match never {},
        stopped = feed_task => {
            let reason = stopped.unwrap_or_else(|err| format!("the change stream task failed: {err}"));
            startup::exit(1, &reason);
        }
        _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C received, shutting down"),
    }
}
