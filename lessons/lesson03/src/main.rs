//! Lesson 03: a timer per client, stopped when the client goes away.
//!
//! The notes ([SSE만들기] 서버사이드, the second example) send data every second with `setInterval`
//! and stop with `clearInterval` when the request closes. Here each client's response body is a
//! stream driven by its own tokio interval (see `ticker.rs`); `GET /stats` shows how many streams
//! are open and how many ticks were sent, so you can watch a timer stop when a tab closes.
//!
//! Run it:   cargo run -p lesson03      then open http://127.0.0.1:3000 (and close the tab)
//! Or:       curl -N http://127.0.0.1:3000/sse      and, elsewhere,      curl http://127.0.0.1:3000/stats
//! Faster:   TICK_MS=200 cargo run -p lesson03

mod serve;
mod ticker;

use std::sync::Arc;
use std::time::Duration;

use warp::http::header;
use warp::Filter;

const PAGE: &str = include_str!("../../../assets/lesson03.html");
const STYLE: &str = include_str!("../../../assets/style.css");

/// The tick period from `TICK_MS` (default 1000, like the notes' `setInterval(..., 1000)`).
fn tick_period() -> Duration {
    match std::env::var("TICK_MS") {
        Err(_) => Duration::from_millis(1000),
        Ok(text) => match text.parse::<u64>() {
            Ok(ms) if ms >= 1 => Duration::from_millis(ms),
            _ => serve::exit(
                2,
                &format!(
                    "TICK_MS must be a whole number of milliseconds, at least 1; got {text:?}"
                ),
            ),
        },
    }
}

fn routes(
    period: Duration,
    stats: Arc<ticker::Stats>,
) -> impl Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone {
    let page = warp::path::end().map(|| warp::reply::html(PAGE));
    let style = warp::path!("style.css")
        .map(|| warp::reply::with_header(STYLE, header::CONTENT_TYPE, "text/css; charset=utf-8"));
    let sse_stats = Arc::clone(&stats);
    let sse = warp::path!("sse")
        .map(move || warp::sse::reply(ticker::ticks(period, Arc::clone(&sse_stats))));
    let stats = warp::path!("stats").map(move || warp::reply::json(&stats.to_json()));
    warp::get().and(page.or(style).or(sse).or(stats))
}

// One thread for everything (timers, sockets, every client's stream). The work per tick is a
// few microseconds, so a second worker thread would mostly cost wake-ups: each tick that fires
// on one thread and is handed to the other is a futex call and a context switch. Measured with
// 10,000 clients: 10.1-10.5% of a core with tokio's default two workers, 7.8-8.1% with one
// (BENCHMARKS.md). Node.js serves the notes' version on one thread too.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    serve::init_logs();
    let period = tick_period();
    tracing::info!(?period, "each client gets one tick per period");
    serve::run(routes(period, Arc::default())).await;
}
