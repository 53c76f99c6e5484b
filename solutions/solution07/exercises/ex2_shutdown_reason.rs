//! Lesson 07, exercise 2: a goodbye the page can actually see.
//!
//! Task: when the server stops (Ctrl-C or SIGTERM), every open `/sse` stream gets one last frame
//! and then ends. As shipped, that frame is `event: shutdown\n\n`: an event with no `data:` line,
//! which a browser's EventSource never dispatches. lesson07's page (`assets/lesson07.html`, served
//! by `cargo run -p lesson07`; this exercise's `/` is only a line of text) shows the reason from
//! `addEventListener('shutdown', …)`: with this frame that listener never runs. Change
//! `goodbye()` so that the frame carries the reason as JSON:
//!
//!   event: shutdown
//!   data: {"reason":"<reason>"}
//!   (blank line)
//!
//! `<reason>` comes from `SHUTDOWN_REASON` (default `server shutting down`) and may contain
//! anything, quotes included: build the JSON with `serde_json::json!`, never by pasting strings.
//!
//! Run it:    SHUTDOWN_REASON='배포 중' cargo run -p lesson07 --bin lesson07-ex2
//!            curl -N http://127.0.0.1:3000/sse     then Ctrl-C the server
//! Check it:  cargo tutor check 7

#[path = "../../../lessons/lesson07/src/serve.rs"]
mod serve;

use std::convert::Infallible;

use bytes::Bytes;
use futures::stream::{self, StreamExt};
use tokio::sync::watch;
use warp::http::header;
use warp::Filter;

/// The last frame of every stream when the server stops.
fn goodbye(reason: &str) -> Bytes {
    // ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
    // serde_json escapes quotes, backslashes and line breaks: the data stays one line.
    let data = serde_json::json!({ "reason": reason });
    Bytes::from(format!("event: shutdown\ndata: {data}\n\n"))
    // ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────
}

/// `SHUTDOWN_REASON`, default `server shutting down`.
fn reason() -> String {
    std::env::var("SHUTDOWN_REASON").unwrap_or_else(|_| "server shutting down".to_owned())
}

fn routes(
    reason: String,
    stop: watch::Receiver<bool>,
) -> impl Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone {
    let page = warp::path::end().map(|| "GET /sse, then stop the server (see the exercise)");
    let sse = warp::path!("sse").map(move || {
        // `retry: 3000` at once; then, when the stop switch flips, the goodbye and the end.
        let mut stop = stop.clone();
        let reason = reason.clone();
        let last = async move {
            let _ = stop.wait_for(|stop| *stop).await;
            Ok::<_, Infallible>(goodbye(&reason))
        };
        let body =
            stream::once(async { Ok(Bytes::from("retry: 3000\n\n")) }).chain(stream::once(last));
        let reply = warp::reply::stream(body);
        let reply = warp::reply::with_header(reply, header::CONTENT_TYPE, "text/event-stream");
        warp::reply::with_header(reply, header::CACHE_CONTROL, "no-cache")
    });
    warp::get().and(page.or(sse))
}

#[tokio::main]
async fn main() {
    serve::init_logs();
    let (stop, stopping) = watch::channel(false);
    serve::run(routes(reason(), stopping), stop).await;
}
