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

use bytes::Bytes;

/// The last frame of every stream when the server stops.
fn goodbye(reason: &str) -> Bytes {
    // ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
    // serde_json escapes quotes, backslashes and line breaks: the data stays one line.
    let data = serde_json::json!({ "reason": reason });
    Bytes::from(format!("event: shutdown\ndata: {data}\n\n"))
    // ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────
}

#[tokio::main]
async fn main() {
    lesson07::exercise::serve_ex2(goodbye).await
}
