//! Lesson 03, exercise 2: say `done` after five ticks, then end the stream.
//!
//! Task: change `ticks_then_done()` so that a client gets `count` ticks (5), then one event named
//! `done` whose data is the count, and then the response ends:
//!
//!     data:tick 1  ...  data:tick 5      then      event:done / data:5      then the end
//!
//! (warp writes `event:done\ndata:5\n\n`, no space after the colon.) When the stream ends, the
//! client's timer is dropped at once: `/stats` shows `open_streams` back at 0, and the server
//! logs `clearInterval`.
//!
//! Run it:    TICK_MS=300 cargo run -p lesson03 --bin lesson03-ex2      then curl -N http://127.0.0.1:3000/sse
//! Check it:  cargo tutor check 3

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use lesson03::ticker::{self, Stats};
use warp::sse::Event;

/// One client's events: `count` ticks, then `done`, then the end.
fn ticks_then_done(
    period: Duration,
    stats: Arc<Stats>,
    count: usize,
) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static {
    // ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
    tracing::debug!(count, "not solved yet: ticking forever");
    ticker::ticks(period, stats)
    // ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────
}

#[tokio::main]
async fn main() {
    lesson03::exercise::serve_ex2(ticks_then_done).await
}
