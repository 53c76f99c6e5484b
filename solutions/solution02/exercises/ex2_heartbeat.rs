//! Lesson 02, exercise 2: a comment as a heartbeat.
//!
//! Task: after the four demo events, `GET /sse` is silent forever (`stream::pending()`). A proxy
//! or a load balancer often closes a connection that has been silent for a while (60 seconds
//! is common). Change `after_the_events()` so that it sends the comment `: ping` (a line that
//! starts with a colon, then the blank line: `": ping\n\n"`) every `every` (15 seconds unless
//! `HEARTBEAT_MS` says otherwise), forever.
//!
//! A comment keeps the connection busy but dispatches nothing: the page shows the same four
//! events as before, and `curl -N http://127.0.0.1:3000/sse` shows a `: ping` every 15 seconds.
//!
//! Run it:    HEARTBEAT_MS=1000 cargo run -p lesson02 --bin lesson02-ex2
//! Check it:  cargo tutor check 2

// Only `frame::frame` is used here, not the rest of the lesson's module.
#[allow(dead_code)]
#[path = "../../../lessons/lesson02/src/frame.rs"]
mod frame;
#[path = "../../../lessons/lesson02/src/serve.rs"]
mod serve;

use std::time::Duration;

use futures::stream::{self, Stream, StreamExt};
use warp::http::header;
use warp::Filter;

use frame::FrameError;

const PAGE: &str = include_str!("../../../assets/lesson02-exercises.html");
const STYLE: &str = include_str!("../../../assets/style.css");

/// The lesson's four events: (event name, data).
fn demo_events() -> Vec<(Option<&'static str>, String)> {
    vec![
        (None, "이름 없는 메시지".to_owned()),
        (Some("이벤트명"), "데이터".to_owned()),
        (Some("json"), serde_json::json!({ "a": "abc" }).to_string()),
        (Some("lines"), "첫째 줄\n둘째 줄\r\n셋째 줄".to_owned()),
    ]
}

/// What `GET /sse` writes after the four events, forever.
fn after_the_events(
    every: Duration,
) -> impl Stream<Item = Result<String, FrameError>> + Send + 'static {
    // ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
    // Sleep, send a comment, sleep again... `unfold` makes a stream from a step function.
    stream::unfold((), move |()| async move {
        tokio::time::sleep(every).await;
        Some((Ok(": ping\n\n".to_owned()), ()))
    })
    // ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────
}

/// The heartbeat period: `HEARTBEAT_MS`, default 15000 (the checker sets it lower).
fn heartbeat_period() -> Duration {
    match std::env::var("HEARTBEAT_MS") {
        Err(_) => Duration::from_millis(15_000),
        Ok(text) => match text.parse::<u64>() {
            Ok(ms) if ms >= 1 => Duration::from_millis(ms),
            _ => serve::exit(
                2,
                &format!(
                    "HEARTBEAT_MS must be a whole number of milliseconds, at least 1; got {text:?}"
                ),
            ),
        },
    }
}

fn routes(
    every: Duration,
) -> impl Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone {
    let page = warp::path::end().map(|| warp::reply::html(PAGE));
    let style = warp::path!("style.css")
        .map(|| warp::reply::with_header(STYLE, header::CONTENT_TYPE, "text/css; charset=utf-8"));
    let sse = warp::path!("sse").map(move || {
        let events = demo_events()
            .into_iter()
            .map(|(name, data)| frame::frame(name, None, &data));
        let body = stream::iter(events).chain(after_the_events(every));
        let reply = warp::reply::stream(body);
        let reply = warp::reply::with_header(reply, header::CONTENT_TYPE, "text/event-stream");
        warp::reply::with_header(reply, header::CACHE_CONTROL, "no-cache")
    });
    warp::get().and(page.or(style).or(sse))
}

#[tokio::main]
async fn main() {
    serve::init_logs();
    serve::run(routes(heartbeat_period())).await;
}
