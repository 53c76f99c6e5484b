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

#[path = "../../../lessons/lesson03/src/serve.rs"]
mod serve;
#[path = "../../../lessons/lesson03/src/ticker.rs"]
mod ticker;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use warp::http::header;
use warp::sse::Event;
use warp::Filter;

const PAGE: &str = include_str!("../../../assets/lesson03.html");
const STYLE: &str = include_str!("../../../assets/style.css");

/// How many ticks a client gets before `done`.
const TICK_COUNT: usize = 5;

/// One client's events: `count` ticks, then `done`, then the end.
fn ticks_then_done(
    period: Duration,
    stats: Arc<ticker::Stats>,
    count: usize,
) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static {
    // ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
    use futures::StreamExt; // for `.take()` and `.chain()`

    let done = Event::default().event("done").data(count.to_string());
    // `take` ends the stream after `count` ticks; `chain` adds one more event, and then the
    // stream (and so the response) ends. `stream::iter` of one item needs no `async`.
    ticker::ticks(period, stats)
        .take(count)
        .chain(futures::stream::iter([Ok(done)]))
    // ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────
}

/// The period from `TICK_MS` (default 1000), as in the lesson.
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
        .map(move || warp::sse::reply(ticks_then_done(period, Arc::clone(&sse_stats), TICK_COUNT)));
    let stats = warp::path!("stats").map(move || warp::reply::json(&stats.to_json()));
    warp::get().and(page.or(style).or(sse).or(stats))
}

#[tokio::main]
async fn main() {
    serve::init_logs();
    serve::run(routes(tick_period(), Arc::default())).await;
}
