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

use std::time::Duration;

use futures::stream::{self, Stream};
use sse_kit::frame::FrameError;

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

#[tokio::main]
async fn main() {
    lesson02::exercise::serve_ex2(after_the_events).await
}
