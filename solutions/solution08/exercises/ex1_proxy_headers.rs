//! Lesson 08, exercise 1: the headers a proxy on the way needs to hear from the app.
//!
//! Task: this instance's `/sse` sends only `Content-Type: text/event-stream`. Behind nginx (or a
//! CDN, or a company proxy) that is not enough: nginx may buffer the frames, and a cache may
//! keep or rewrite (compress) the stream. Return the headers that say, for this one response:
//!
//!   X-Accel-Buffering: no              (nginx: pass each frame on at once)
//!   Cache-Control: no-cache, no-transform   (do not serve a stored copy; do not compress or change it)
//!
//! Run it:    cargo run -p practice-mongo      and      cargo run -p lesson08 --bin lesson08-ex1
//!            then  curl -i -N http://127.0.0.1:3000/sse
//! Check it:  cargo tutor check 8

// ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
/// The headers `/sse` adds for proxies and caches, as (name, value) pairs.
fn proxy_headers() -> Vec<(&'static str, &'static str)> {
    vec![
        ("X-Accel-Buffering", "no"),
        ("Cache-Control", "no-cache, no-transform"),
    ]
}
// ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────

#[tokio::main]
async fn main() {
    lesson08::exercise::serve_ex1(proxy_headers).await
}
