//! Lesson 01, exercise 2: a second write, then the end.
//!
//! Task: change `body()` so that `GET /sse` writes `데이터` at once, then waits `delay`
//! (3 seconds unless `SECOND_WRITE_MS` says otherwise), then writes `또 데이터`, and then ENDS
//! the response (no `stream::pending()`).
//!
//! When it is right, the page's fetch column shows both writes and then "ended", and the
//! EventSource column flips to "error / reconnecting" and back to "open" every few seconds: an
//! EventSource whose response ends connects again by itself. `curl -N` prints `데이터`, three
//! seconds later `또 데이터`, and then returns to the prompt.
//!
//! Run it:    cargo run -p lesson01 --bin lesson01-ex2      then open http://127.0.0.1:3000
//! Check it:  cargo tutor check 1

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::{self, Stream, StreamExt};

/// The body of `GET /sse`: `데이터`, then after `delay` `또 데이터`, then the end.
fn body(delay: Duration) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + Sync + 'static {
    // ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
    let first = stream::once(async { Ok(Bytes::from("데이터")) });
    let second = stream::once(async move {
        tokio::time::sleep(delay).await;
        Ok(Bytes::from("또 데이터"))
    });
    // No `stream::pending()`: after `second` the stream ends, and so does the response.
    first.chain(second)
    // ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────
}

#[tokio::main]
async fn main() {
    lesson01::exercise::serve_ex2(body).await
}
