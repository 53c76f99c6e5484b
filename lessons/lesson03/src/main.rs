//! Lesson 03: a timer per client, stopped when the client goes away.
//!
//! The notes ([SSE만들기] 서버사이드, the second example) send data every second with `setInterval`
//! and stop with `clearInterval` when the request closes. Here each client's response body is a
//! stream driven by its own tokio interval (see `ticker.rs`); `GET /stats` shows how many streams
//! are open and how many ticks were sent, so you can watch a timer stop when a tab closes.
//! The server starts with `startup::run` (read once in lessons/startup/src/lib.rs).
//!
//! Run it:   cargo run -p lesson03      then open http://127.0.0.1:3000 (and close the tab)
//! Or:       curl -N http://127.0.0.1:3000/sse      and, elsewhere,      curl http://127.0.0.1:3000/stats
//! Faster:   TICK_MS=200 cargo run -p lesson03

use std::sync::Arc;
use std::time::Duration;

use lesson03::ticker::{self, Stats};
use warp::Filter;

/// `GET /sse`: a new timer for each client, one `data:tick N` per `period`.
fn sse(
    period: Duration,
    stats: Arc<Stats>,
) -> impl Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone {
    warp::path!("sse").map(move || warp::sse::reply(ticker::ticks(period, Arc::clone(&stats))))
}

// One thread for everything (timers, sockets, every client's stream). The work per tick is a
// few microseconds, so a second worker thread would mostly cost wake-ups: each tick that fires
// on one thread and is handed to the other is a futex call and a context switch. Measured with
// 10,000 clients: 10.1-10.5% of a core with tokio's default two workers, 7.8-8.1% with one
// (BENCHMARKS.md). Node.js serves the notes' version on one thread too.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let stats = Arc::new(Stats::default());
    startup::run(lesson03::routes(
        sse(lesson03::tick_period(), Arc::clone(&stats)),
        stats,
    ))
    .await
}
