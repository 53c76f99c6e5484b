//! Lesson 06, exercise 2: resume after a page reload, with `?lastEventId=`.
//!
//! A browser sends `Last-Event-ID` only when it reconnects by itself. A reloaded page makes a new
//! `EventSource`, which starts with no id at all. A page can keep the last id it saw (in
//! `sessionStorage`) and open `new EventSource('/sse?lastEventId=' + encodeURIComponent(id))`.
//!
//! Task: change `last_event_id()` so that, when there is no `Last-Event-ID` header, the query
//! parameter `lastEventId` is used instead. When both are there, the header wins: it is newer
//! (the browser updates it with every event, the URL never changes).
//!
//! Run it:    cargo run -p practice-mongo      and      cargo run -p lesson06 --bin lesson06-ex2
//!            then  curl -N 'http://127.0.0.1:3000/sse?lastEventId=<an id from an earlier curl>'
//! Check it:  cargo tutor check 6

#[path = "../../../lessons/lesson06/src/serve.rs"]
mod serve;

use std::collections::HashMap;

use lesson04::mongo;
use lesson06::client_stream::Streams;
use warp::http::HeaderMap;
use warp::Filter;

/// The id this client wants to resume after, if any.
fn last_event_id(headers: &HeaderMap, query: &HashMap<String, String>) -> Option<String> {
    // ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
    // The header first: the browser keeps it up to date; the URL stays as the page opened it.
    headers
        .get("last-event-id")
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .or_else(|| query.get("lastEventId").cloned())
    // ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────
}

/// `GET /sse`, as in lesson06, with the query string too.
fn routes(
    streams: Streams,
) -> impl Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone {
    warp::path!("sse")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(warp::query::<HashMap<String, String>>())
        .then(move |headers: HeaderMap, query: HashMap<String, String>| {
            let streams = streams.clone();
            async move {
                let id = last_event_id(&headers, &query);
                match streams.connect(id, lesson06::RETRY_MS).await {
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
