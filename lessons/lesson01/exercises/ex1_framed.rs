//! Lesson 01, exercise 1: make the EventSource see the write.
//!
//! Task: `GET /sse` writes the raw bytes `데이터`, which an `EventSource` never dispatches (see the
//! lesson text). Change `body()` so that it writes one SSE frame instead, the bytes
//! `data: 데이터\n\n`, and still keeps the response open afterwards.
//!
//! When it is right, the page's EventSource column shows a `message` with `데이터`, and
//! `curl -N http://127.0.0.1:3000/sse` prints `data: 데이터` and a blank line, then waits.
//!
//! Run it:    cargo run -p lesson01 --bin lesson01-ex1      then open http://127.0.0.1:3000
//! Check it:  cargo tutor check 1

use std::convert::Infallible;

use bytes::Bytes;
use futures::stream::{self, Stream, StreamExt};

/// The body of `GET /sse`.
fn body() -> impl Stream<Item = Result<Bytes, Infallible>> + Send + Sync + 'static {
    // ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
    stream::once(async { Ok(Bytes::from("데이터")) }).chain(stream::pending())
    // ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────
}

#[tokio::main]
async fn main() {
    lesson01::exercise::serve_ex1(body).await
}
