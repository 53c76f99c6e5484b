//! Lesson 02, exercise 1: number the events with `id:` and set `retry:`.
//!
//! Task: change `frames()` so that `GET /sse` first sends `retry: 5000` (a block of its own,
//! ended by a blank line), and then the four demo events with `id: 1` to `id: 4`
//! (`frame::frame` already writes an `id:` line when you give it one).
//!
//! Then the response ends, so the browser connects again: after 5 seconds (that is what `retry:`
//! tells it), sending `Last-Event-ID: 4`, which the server logs. The page shows each event's
//! `lastEventId`.
//!
//! Run it:    cargo run -p lesson02 --bin lesson02-ex1      then open http://127.0.0.1:3000
//! Check it:  cargo tutor check 2

// Only `frame::frame` is used here, not the rest of the lesson's module.
#[allow(dead_code)]
#[path = "../../../lessons/lesson02/src/frame.rs"]
mod frame;
#[path = "../../../lessons/lesson02/src/serve.rs"]
mod serve;

use futures::stream;
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

/// Everything `GET /sse` writes, one string per block.
fn frames() -> Vec<Result<String, FrameError>> {
    // ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
    // A block with only `retry:` dispatches no event; it sets the reconnection delay.
    let retry = Ok("retry: 5000\n\n".to_owned());
    let numbered = demo_events()
        .into_iter()
        .zip(1..)
        .map(|((name, data), id): (_, u32)| frame::frame(name, Some(&id.to_string()), &data));
    std::iter::once(retry).chain(numbered).collect()
    // ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────
}

fn routes() -> impl Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone {
    let page = warp::path::end().map(|| warp::reply::html(PAGE));
    let style = warp::path!("style.css")
        .map(|| warp::reply::with_header(STYLE, header::CONTENT_TYPE, "text/css; charset=utf-8"));
    let sse = warp::path!("sse")
        .and(warp::header::optional::<String>("last-event-id"))
        .map(|last_event_id: Option<String>| {
            tracing::info!(?last_event_id, "a client opened /sse");
            // No `stream::pending()`: the response ends after the frames, and the browser
            // connects again.
            let reply = warp::reply::stream(stream::iter(frames()));
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
