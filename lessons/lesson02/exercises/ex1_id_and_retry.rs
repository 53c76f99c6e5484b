//! Lesson 02, exercise 1: number the events with `id:` and set `retry:`.
//!
//! Task: change `frames()` so that `GET /sse` first sends `retry: 5000` (a block of its own,
//! ended by a blank line), and then the four demo events with `id: 1` to `id: 4`
//! (`frame::frame` already writes an `id:` line when you give it one).
//!
//! Then the response ends, so the browser connects again: after 5 seconds (that is what `retry:`
//! tells it), sending `Last-Event-ID: 4`, which the server logs. The page shows each event's
//! `lastEventId`.
//!
//! Run it:    cargo run -p lesson02 --bin lesson02-ex1      then open http://127.0.0.1:3000
//! Check it:  cargo tutor check 2

use lesson02::demo_events;
use sse_kit::frame::{self, FrameError};

/// Everything `GET /sse` writes, one string per block.
fn frames() -> Vec<Result<String, FrameError>> {
    // ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
    demo_events()
        .into_iter()
        .map(|(name, data)| frame::frame(name, None, &data))
        .collect()
    // ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────
}

#[tokio::main]
async fn main() {
    lesson02::exercise::serve_ex1(frames).await
}
