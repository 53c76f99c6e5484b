//! Lesson 05, exercise 2: "N readers online", live on every page.
//!
//! Task: besides the posts, send every client the number of readers connected right now, at once
//! when it connects and again whenever the number changes (someone opens or closes the page):
//!
//!     event: readers
//!     data: 2
//!
//! The pieces are ready in `lessons/lesson05/src/exercise.rs`: `Reader::new(readers)` counts one
//! reader while it lives (like lesson03's guard), `count_changes(readers)` turns the count into
//! frames. Put them into `client_stream()`, next to the posts.
//!
//! Run it:    cargo run -p practice-mongo      and      cargo run -p lesson05 --bin lesson05-ex2
//!            then  curl -N http://127.0.0.1:3000/sse   in two terminals; stop one
//! Check it:  cargo tutor check 5

use std::convert::Infallible;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use lesson05::exercise::Readers;
#[allow(unused_imports)] // used by your answer
use lesson05::exercise::{count_changes, Reader};
use posts::feed::Feed;

/// One client's frames: the posts and the reader counts.
fn client_stream(
    feed: &Feed,
    readers: &Readers,
) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + Sync + 'static {
    // ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
    let _ = readers;
    feed.subscribe().chain(futures::stream::empty())
    // ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────
}

#[tokio::main]
async fn main() {
    lesson05::exercise::serve_ex2(client_stream).await
}
