//! Lesson 06, exercise 1: the reconnect delay from `RETRY_MS`.
//!
//! Task: every stream starts with `retry: 1000`, the delay (in milliseconds) a browser waits
//! before it reconnects. Make `retry_ms()` return the `RETRY_MS` environment variable when it is
//! set to a whole number (`RETRY_MS=2500` → the first frame is `retry: 2500`), and
//! `lesson06::RETRY_MS` (1000) when it is missing or not a number. Nothing else changes: the
//! browser follows whatever the server says.
//!
//! Run it:    cargo run -p practice-mongo      and      RETRY_MS=2500 cargo run -p lesson06 --bin lesson06-ex1
//!            then  curl -N http://127.0.0.1:3000/sse
//! Check it:  cargo tutor check 6

#[path = "../../../lessons/lesson06/src/serve.rs"]
mod serve;

use lesson04::mongo;
use lesson06::client_stream::Streams;
use warp::http::HeaderMap;
use warp::Filter;

/// The `retry:` value every stream starts with.
fn retry_ms() -> u64 {
    // ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
    // A missing or unreadable value falls back to the lesson's default.
    std::env::var("RETRY_MS")
        .ok()
        .and_then(|text| text.parse::<u64>().ok())
        .unwrap_or(lesson06::RETRY_MS)
    // ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────
}

/// `GET /sse`, as in lesson06: one change stream per client, after its `Last-Event-ID`.
fn routes(
    streams: Streams,
) -> impl Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone {
    warp::path!("sse")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .then(move |headers: HeaderMap| {
            let streams = streams.clone();
            async move {
                let last_event_id = headers
                    .get("last-event-id")
                    .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
                match streams.connect(last_event_id, retry_ms()).await {
                    Ok(frames) => lesson06::reply::event_stream(frames),
                    Err(busy) => lesson06::reply::busy(busy, &headers),
                }
            }
        })
}

#[tokio::main]
async fn main() {
    serve::init_logs();
    let uri = std::env::var("MONGODB_URI").unwrap_or_else(|_| mongo::DEFAULT_URI.to_owned());
    let checked = async {
        let posts = mongo::connect(&uri).await?;
        drop(mongo::watch_inserts(&posts).await?);
        Ok::<_, mongo::StartupError>(posts)
    };
    let posts = match checked.await {
        Ok(posts) => posts,
        Err(err) => serve::exit(err.exit_code(), &err.to_string()),
    };
    // At most 8 change streams: within the driver's default pool of 10 connections.
    serve::run(routes(Streams::new(posts, 8))).await;
}
