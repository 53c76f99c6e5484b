//! Lesson 02: the named-event format.
//!
//! The notes ([SSE만들기] 서버사이드) write `event: 이벤트명\n` and `data: 데이터\n\n`, and the page
//! listens with `addEventListener('이벤트명', ...)`. This lesson writes such frames twice:
//!
//! - `GET /sse`: by hand, with `sse_kit::frame::frame` (`event: x`, with a space);
//! - `GET /sse/warp`: with `warp::sse::Event` (`event:x`, no space).
//!
//! Both send the same four events (`lesson02::demo_events`), and a browser sees exactly the same
//! events from both. The server starts with `startup::run` (read once in lessons/startup/src/lib.rs).
//!
//! Run it:   cargo run -p lesson02      then open http://127.0.0.1:3000
//! Or:       curl -N http://127.0.0.1:3000/sse      and      curl -N http://127.0.0.1:3000/sse/warp

use futures::stream::{self, StreamExt};
use lesson02::demo_events;
use sse_kit::frame;
use warp::Filter;

/// `GET /sse`: our own frames, sent with lesson01's headers (`sse_kit::reply::event_stream`),
/// then kept open. If a frame is refused, we log why and the error ends the response.
fn hand_written() -> warp::reply::Response {
    let frames = demo_events().into_iter().map(|(name, data)| {
        frame::frame(name, None, &data)
            .inspect_err(|err| tracing::error!(%err, ?name, "frame refused; ending the response"))
    });
    sse_kit::reply::event_stream(stream::iter(frames).chain(stream::pending()))
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
    let sse = warp::path!("sse").map(|| {
        tracing::info!("a client opened /sse (hand-written frames)");
        hand_written()
    });
    let sse_warp = warp::path!("sse" / "warp").map(|| {
        tracing::info!("a client opened /sse/warp (warp::sse::Event)");
        with_warp()
    });
    warp::get().and(sse_kit::page::page(lesson02::PAGE).or(sse).or(sse_warp))
}

#[tokio::main]
async fn main() {
    startup::run(routes()).await
}
