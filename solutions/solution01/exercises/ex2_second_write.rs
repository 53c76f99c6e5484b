//! Lesson 01, exercise 2: a second write, then the end.
//!
//! Task: change `body()` so that `GET /sse` writes `데이터` at once, then waits `delay`
//! (3 seconds unless `SECOND_WRITE_MS` says otherwise), then writes `또 데이터`, and then ENDS
//! the response (no `stream::pending()`).
//!
//! When it is right, the page's fetch column shows both writes and then "ended", and the
//! EventSource column flips to "error / reconnecting" and back to "open" every few seconds: an
//! EventSource whose response ends connects again by itself. `curl -N` prints `데이터`, three
//! seconds later `또 데이터`, and then returns to the prompt.
//!
//! Run it:    cargo run -p lesson01 --bin lesson01-ex2      then open http://127.0.0.1:3000
//! Check it:  cargo tutor check 1

#[path = "../../../lessons/lesson01/src/serve.rs"]
mod serve;

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::{self, Stream, StreamExt};
use warp::http::header;
use warp::Filter;

const PAGE: &str = include_str!("../../../assets/lesson01.html");
const STYLE: &str = include_str!("../../../assets/style.css");

/// The body of `GET /sse`: `데이터`, then after `delay` `또 데이터`, then the end.
fn body(delay: Duration) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + Sync + 'static {
    // ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
    let first = stream::once(async { Ok(Bytes::from("데이터")) });
    let second = stream::once(async move {
        tokio::time::sleep(delay).await;
        Ok(Bytes::from("또 데이터"))
    });
    // No `stream::pending()`: after `second` the stream ends, and so does the response.
    first.chain(second)
    // ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────
}

/// The wait before the second write: `SECOND_WRITE_MS`, default 3000 (the checker sets it
/// lower so that it does not have to wait three seconds).
fn delay() -> Duration {
    match std::env::var("SECOND_WRITE_MS") {
        Err(_) => Duration::from_millis(3000),
        Ok(text) => match text.parse::<u64>() {
            Ok(ms) => Duration::from_millis(ms),
            Err(_) => serve::exit(
                2,
                &format!("SECOND_WRITE_MS must be a whole number of milliseconds; got {text:?}"),
            ),
        },
    }
}

fn routes(
    delay: Duration,
) -> impl Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone {
    let page = warp::path::end().map(|| warp::reply::html(PAGE));
    let style = warp::path!("style.css")
        .map(|| warp::reply::with_header(STYLE, header::CONTENT_TYPE, "text/css; charset=utf-8"));
    let sse = warp::path!("sse").map(move || {
        let reply = warp::reply::stream(body(delay));
        let reply = warp::reply::with_header(reply, header::CONTENT_TYPE, "text/event-stream");
        warp::reply::with_header(reply, header::CACHE_CONTROL, "no-cache")
    });
    warp::get().and(page.or(style).or(sse))
}

#[tokio::main]
async fn main() {
    serve::init_logs();
    serve::run(routes(delay())).await;
}
