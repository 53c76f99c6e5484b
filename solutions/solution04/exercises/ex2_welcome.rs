//! Lesson 04, exercise 2: welcome each new client.
//!
//! Task: before any post, send each new client one event that says how many clients are
//! connected, itself included:
//!
//!     event: welcome
//!     data: {"clients":2}
//!
//! then the posts as usual (`event: newPost`). The feed counts clients in its stats
//! (`feed.stats_json()["sse_clients"]`), and a client is counted from the moment it subscribes.
//!
//! Run it:    cargo run -p practice-mongo      and      cargo run -p lesson04 --bin lesson04-ex2
//! Check it:  cargo tutor check 4

#[path = "../../../lessons/lesson04/src/serve.rs"]
mod serve;

use std::convert::Infallible;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use lesson04::feed::Feed;
use lesson04::mongo;
use warp::http::header;
use warp::Filter;

/// One client's stream of frames.
fn client_stream(
    feed: &Feed,
) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + Sync + 'static {
    // ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
    let posts = feed.subscribe(); // first: from now on this client is counted
    let clients = &feed.stats_json()["sse_clients"];
    let welcome = Bytes::from(format!(
        "event: welcome\ndata: {{\"clients\":{clients}}}\n\n"
    ));
    futures::stream::once(async move { Ok(welcome) }).chain(posts)
    // ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────
}

fn sse_reply(feed: &Feed) -> impl warp::Reply {
    let reply = warp::reply::stream(client_stream(feed));
    let reply = warp::reply::with_header(reply, header::CONTENT_TYPE, "text/event-stream");
    let reply = warp::reply::with_header(reply, header::CACHE_CONTROL, "no-cache");
    warp::reply::with_header(reply, header::CONNECTION, "keep-alive")
}

#[tokio::main]
async fn main() {
    serve::init_logs();
    let uri = std::env::var("MONGODB_URI").unwrap_or_else(|_| mongo::DEFAULT_URI.to_owned());
    let opened = async {
        let posts = mongo::connect(&uri).await?;
        Feed::open(mongo::Watch::inserts(&posts)).await
    };
    let (feed, feed_task) = match opened.await {
        Ok(opened) => opened,
        Err(err) => serve::exit(err.exit_code(), &err.to_string()),
    };
    let sse = warp::path!("sse")
        .and(warp::get())
        .map(move || sse_reply(&feed));

    tokio::select! {
        () = serve::run(sse) => {}
        stopped = feed_task => {
            let reason = stopped.unwrap_or_else(|err| format!("the change stream task failed: {err}"));
            serve::exit(1, &reason);
        }
    }
}
