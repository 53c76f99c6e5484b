//! Lesson 06: reconnect and resume. A client that was away gets exactly the posts it missed.
//!
//! - [`client_stream`]: the lesson's idea: one change stream per client, started right after
//!   its `Last-Event-ID` (the missed posts, then live ones, on one cursor);
//! - [`frames`]: each post with its resume token as `id:`, `resync`, `busy` and the idle comment;
//! - [`reply`]: the answer when every slot is taken;
//! - [`limits`]: what a stream per client costs (`MAX_CLIENTS`, `IDLE_TIMEOUT_MS`, the pool);
//! - here: the routes and the start, and [`exercise`]: the same with an exercise's piece.
//!
//! What it builds on: the token ⇄ id mapping is `posts::resume_id`, the change stream is
//! `posts::mongo::Watch::open_after`, `/posts` is lesson05's `posts::routes`, the frames and the
//! event-stream reply are sse-kit's, and starting the server is `startup::run`.

pub mod client_stream;
pub mod exercise;
pub mod frames;
pub mod limits;
pub mod reply;

use std::convert::Infallible;

use mongodb::bson::Document;
use mongodb::Collection;
use posts::mongo::{self, StartupError};
use warp::http::HeaderMap;
use warp::{Filter, Reply};

use client_stream::Streams;
use limits::Limits;

const PAGE: &str = include_str!("../../../assets/lesson06.html");
const SCRIPT: &str = include_str!("../../../assets/lesson06.js");

/// How long a browser waits before reconnecting (the first frame, `retry: 1000`). Browsers
/// wait about 3 s by default; one second keeps the gap short without hammering the server.
pub const RETRY_MS: u64 = 1000;

/// The `Last-Event-ID` header as text. Read from the raw header, not with `warp::header`, so that
/// even bytes that are not UTF-8 get the `200` + `resync` answer instead of a `400`. A browser
/// sends it once; if a client sends it twice, the values are joined with `, ` (as HTTP joins a
/// repeated header), which is never one of our ids: `resync`, not a guess at which one was meant.
pub fn last_event_id(headers: &HeaderMap) -> Option<String> {
    let values: Vec<String> = headers
        .get_all("last-event-id")
        .iter()
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

/// The whole app: the page and its script, `GET /posts` and `POST /posts` (lesson05's), `GET
/// /sse` (each client's own change stream, starting with `retry: <retry_ms>` and resumed after
/// what `read_id` reads from the request's headers and raw query) and `GET /stats`.
pub fn routes<R>(
    streams: Streams,
    collection: Collection<Document>,
    retry_ms: u64,
    read_id: R,
) -> impl Filter<Extract = (impl Reply,), Error = Infallible> + Clone
where
    R: Fn(&HeaderMap, Option<&str>) -> Option<String> + Clone + Send + Sync + 'static,
{
    // Path before method, as in lesson05: an unknown path is a 404, not a 405.
    let page = sse_kit::page::page(PAGE)
        .or(sse_kit::page::script("lesson06.js", SCRIPT))
        .and(warp::get());
    let raw_query = warp::query::raw()
        .map(Some)
        .or(warp::any().map(|| None))
        .unify();
    let sse_streams = streams.clone();
    let sse = warp::path!("sse")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(raw_query)
        .then(move |headers: HeaderMap, query: Option<String>| {
            let streams = sse_streams.clone();
            let after = read_id(&headers, query.as_deref());
            async move {
                // The change stream is open before the head goes out (see client_stream.rs).
                match streams.connect(after, retry_ms).await {
                    Ok(frames) => sse_kit::reply::event_stream(frames),
                    // Every slot is taken: "come back in 5 s" (reply.rs says why in two ways).
                    Err(busy) => reply::busy(busy, &headers),
                }
            }
        });
    let stats = warp::path!("stats")
        .and(warp::get())
        .map(move || warp::reply::json(&streams.stats_json()));

    page.or(posts::routes::routes(collection))
        .or(sse)
        .or(stats)
        .recover(posts::routes::rejection_reply)
}

/// `cargo run -p lesson06`: every `/sse` starts with `retry: 1000` and resumes after the
/// request's `Last-Event-ID`.
pub async fn serve() {
    serve_with(RETRY_MS, |headers, _query| last_event_id(headers)).await
}

/// Connects (with a pool sized for `MAX_CLIENTS`), checks that MongoDB can open change streams,
/// then serves [`routes`] with `retry_ms` and `read_id` until Ctrl-C.
pub async fn serve_with<R>(retry_ms: u64, read_id: R)
where
    R: Fn(&HeaderMap, Option<&str>) -> Option<String> + Clone + Send + Sync + 'static,
{
    // Logging starts before connecting, so that `DATABASE CONNECTED` (or why not) is logged.
    startup::init_logs();
    let limits = Limits::from_env();
    let uri = mongo::uri_from_env();
    // As in lesson04: connect, and open a change stream once at start-up, only to report a
    // missing or standalone MongoDB now, with the fix. Each client then opens its own.
    let checked = async {
        let posts = mongo::connect(&limits.pool_sized(&uri)).await?;
        drop(mongo::watch_inserts(&posts).await?);
        Ok::<_, StartupError>(posts)
    };
    let collection = match checked.await {
        Ok(collection) => collection,
        Err(err) => startup::exit(err.exit_code(), &err.to_string()),
    };
    tracing::info!(
        max_clients = limits.max_clients,
        idle_ms = limits.idle_timeout.as_millis() as u64,
        "each SSE client gets its own change stream, resumed after its Last-Event-ID"
    );
    // `max_clients` is at most 10,000 (limits.rs), so it fits a `usize` everywhere.
    let streams = Streams::new(collection.clone(), limits.max_clients as usize)
        .with_idle_timeout(limits.idle_timeout);
    startup::run(routes(streams, collection, retry_ms, read_id)).await
}
