//! Lesson 08, exercise 2: a keep-alive period that the proxy's idle timeout never reaches.
//!
//! Task: nginx ends a response whose upstream sends nothing for `proxy_read_timeout`. Given that
//! timeout, choose how often the instance sends its `: keep-alive` comment when no post comes.
//! As shipped there is no comment at all, and nginx cuts every quiet stream. The comment must
//! come well inside the timeout (at most half of it, so that one late comment is still in time)
//! and not absurdly often (a comment every few milliseconds is wasted traffic): a quarter of
//! the timeout is a good choice.
//!
//! Run it:    cargo run -p practice-mongo      and
//!            PROXY_READ_TIMEOUT_MS=1000 cargo run -p lesson08 --bin lesson08-ex2
//!            then  curl -N http://127.0.0.1:3000/sse     (a comment every 250 ms when solved)
//! Check it:  cargo tutor check 8

use std::time::Duration;

// ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
/// How long a stream may stay silent before the keep-alive comment (`None`: never).
fn keep_alive_for(proxy_read_timeout: Duration) -> Option<Duration> {
    Some(proxy_read_timeout / 4)
}
// ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────

#[tokio::main]
async fn main() {
    lesson08::exercise::serve_ex2(keep_alive_for).await
}
