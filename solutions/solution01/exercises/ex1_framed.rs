//! Lesson 01, exercise 1: make the EventSource see the write.
//!
//! Task: `GET /sse` writes the raw bytes `데이터`, which an `EventSource` never dispatches (see the
//! lesson text). Change `body()` so that it writes one SSE frame instead, the bytes
//! `data: 데이터\n\n`, and still keeps the response open afterwards.
//!
//! When it is right, the page's EventSource column shows a `message` with `데이터`, and
//! `curl -N http://127.0.0.1:3000/sse` prints `data: 데이터` and a blank line, then waits.
//!
//! Run it:    cargo run -p lesson01 --bin lesson01-ex1      then open http://127.0.0.1:3000
//! Check it:  cargo tutor check 1

#[path = "../../../lessons/lesson01/src/serve.rs"]
mod serve;

use std::convert::Infallible;

use bytes::Bytes;
use futures::stream::{self, Stream, StreamExt};
use warp::http::header;
use warp::Filter;

const PAGE: &str = include_str!("../../../assets/lesson01.html");
const STYLE: &str = include_str!("../../../assets/style.css");

/// The body of `GET /sse`.
fn body() -> impl Stream<Item = Result<Bytes, Infallible>> + Send + Sync + 'static {
    // ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
    // One field line and the blank line that dispatches it; still no end.
    stream::once(async { Ok(Bytes::from("data: 데이터\n\n")) }).chain(stream::pending())
    // ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────
}

fn routes() -> impl Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone {
    let page = warp::path::end().map(|| warp::reply::html(PAGE));
    let style = warp::path!("style.css")
        .map(|| warp::reply::with_header(STYLE, header::CONTENT_TYPE, "text/css; charset=utf-8"));
    let sse = warp::path!("sse").map(|| {
        let reply = warp::reply::stream(body());
        let reply = warp::reply::with_header(reply, header::CONTENT_TYPE, "text/event-stream");
        warp::reply::with_header(reply, header::CACHE_CONTROL, "no-cache")
    });
    warp::get().and(page.or(style).or(sse))
}

#[tokio::main]
async fn main() {
    serve::init_logs();
    serve::run(routes()).await;
}
