//! Lesson 04, exercise 2: welcome each new client.
//!
//! Task: before any post, send each new client one event that says how many clients are
//! connected, itself included:
//!
//!     event: welcome
//!     data: {"clients":2}
//!
//! then the posts as usual (`event: newPost`). The feed counts clients in its stats
//! (`feed.stats_json()["sse_clients"]`), and a client is counted from the moment it subscribes.
//!
//! Run it:    cargo run -p practice-mongo      and      cargo run -p lesson04 --bin lesson04-ex2
//! Check it:  cargo tutor check 4

use std::convert::Infallible;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use posts::feed::Feed;

/// One client's stream of frames.
fn client_stream(
    feed: &Feed,
) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + Sync + 'static {
    // ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
    let posts = feed.subscribe();
    futures::stream::empty().chain(posts)
    // ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────
}

#[tokio::main]
async fn main() {
    lesson04::exercise::serve_ex2(client_stream).await
}
