//! Lesson 02: the named-event format.
//!
//! The notes ([SSE만들기] 서버사이드) write `event: 이벤트명\n` and `data: 데이터\n\n`, and the page
//! listens with `addEventListener('이벤트명', ...)`. This lesson writes such frames twice:
//!
//! - `GET /sse`: by hand, with the small function in `frame.rs` (`event: x`, with a space);
//! - `GET /sse/warp`: with `warp::sse::Event` (`event:x`, no space).
//!
//! Both send the same four events, and a browser sees exactly the same events from both.
//!
//! Run it:   cargo run -p lesson02      then open http://127.0.0.1:3000
//! Or:       curl -N http://127.0.0.1:3000/sse      and      curl -N http://127.0.0.1:3000/sse/warp

mod frame;
mod serve;

use futures::stream::{self, StreamExt};
use warp::http::header;
use warp::Filter;

const PAGE: &str = include_str!("../../../assets/lesson02.html");
const STYLE: &str = include_str!("../../../assets/style.css");

/// The four events both routes send, in order: (event name, data).
fn demo_events() -> Vec<(Option<&'static str>, String)> {
    vec![
        // No name: the page's `onmessage` gets it (its type is "message").
        (None, "이름 없는 메시지".to_owned()),
        // The notes' example: a name the page listens for, and a plain string.
        (Some("이벤트명"), "데이터".to_owned()),
        // JSON in data, like the notes' {"a": "abc"}: what JSON.stringify would send.
        (Some("json"), serde_json::json!({ "a": "abc" }).to_string()),
        // Several lines, with both line endings: each line becomes its own `data:` line.
        (Some("lines"), "첫째 줄\n둘째 줄\r\n셋째 줄".to_owned()),
    ]
}

/// `GET /sse`: our own frames, sent as a raw body exactly like lesson01, then kept open.
/// If a frame is refused, we log why and the error ends the response.
fn hand_written() -> impl warp::Reply {
    let frames = demo_events().into_iter().map(|(name, data)| {
        frame::frame(name, None, &data)
            .inspect_err(|err| tracing::error!(%err, ?name, "frame refused; ending the response"))
    });
    let body = stream::iter(frames).chain(stream::pending());
    let reply = warp::reply::stream(body);
    let reply = warp::reply::with_header(reply, header::CONTENT_TYPE, "text/event-stream");
    let reply = warp::reply::with_header(reply, header::CACHE_CONTROL, "no-cache");
    warp::reply::with_header(reply, header::CONNECTION, "keep-alive")
}

/// `GET /sse/warp`: the same events as `warp::sse::Event`s; warp writes the frames and
/// sets `Content-Type: text/event-stream` and `Cache-Control: no-cache` for us.
/// If an event is refused, warp logs the error (`sse stream error`) and ends the response.
fn with_warp() -> impl warp::Reply {
    let events = demo_events()
        .into_iter()
        .map(|(name, data)| frame::warp_event(name, &data));
    warp::sse::reply(stream::iter(events).chain(stream::pending()))
}

fn routes() -> impl Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone {
    let page = warp::path::end().map(|| warp::reply::html(PAGE));
    let style = warp::path!("style.css")
        .map(|| warp::reply::with_header(STYLE, header::CONTENT_TYPE, "text/css; charset=utf-8"));
    let sse = warp::path!("sse").map(|| {
        tracing::info!("a client opened /sse (hand-written frames)");
        hand_written()
    });
    let sse_warp = warp::path!("sse" / "warp").map(|| {
        tracing::info!("a client opened /sse/warp (warp::sse::Event)");
        with_warp()
    });
    warp::get().and(page.or(style).or(sse).or(sse_warp))
}

#[tokio::main]
async fn main() {
    serve::init_logs();
    serve::run(routes()).await;
}
