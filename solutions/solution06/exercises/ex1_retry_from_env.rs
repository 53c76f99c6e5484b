//! Lesson 06, exercise 1: the reconnect delay from `RETRY_MS`.
//!
//! Task: every stream starts with `retry: 1000`, the delay (in milliseconds) a browser waits
//! before it reconnects. Make `retry_ms()` return the `RETRY_MS` environment variable when it is
//! set to a whole number (`RETRY_MS=2500` → the first frame is `retry: 2500`), and
//! `lesson06::RETRY_MS` (1000) when it is missing or not a number. Nothing else changes: the
//! browser follows whatever the server says.
//!
//! Run it:    cargo run -p practice-mongo      and      RETRY_MS=2500 cargo run -p lesson06 --bin lesson06-ex1
//!            then  curl -N http://127.0.0.1:3000/sse
//! Check it:  cargo tutor check 6

/// The `retry:` value every stream starts with.
fn retry_ms() -> u64 {
    // ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
    // A missing or unreadable value falls back to the lesson's default.
    std::env::var("RETRY_MS")
        .ok()
        .and_then(|text| text.parse::<u64>().ok())
        .unwrap_or(lesson06::RETRY_MS)
    // ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────
}

#[tokio::main]
async fn main() {
    lesson06::exercise::serve_ex1(retry_ms).await
}
