//! Lesson 03, exercise 1: each client chooses its own period with `?ms=`.
//!
//! Task: change `choose_period()` so that `GET /sse?ms=200` ticks every 200 ms for that client,
//! while `GET /sse` keeps the server's period (`TICK_MS`, default 1000). A value that is not a
//! whole number from 1 to 60000 is refused: `choose_period` returns `Err` with exactly this
//! message (here for `?ms=abc`), which the route sends back with status 400 Bad Request:
//!
//!     ms must be a whole number of milliseconds from 1 to 60000; got "abc"
//!
//! Run it:    cargo run -p lesson03 --bin lesson03-ex1
//!            curl -N 'http://127.0.0.1:3000/sse?ms=200'      curl -i 'http://127.0.0.1:3000/sse?ms=abc'
//! Check it:  cargo tutor check 3

#[path = "../../../lessons/lesson03/src/serve.rs"]
mod serve;
#[path = "../../../lessons/lesson03/src/ticker.rs"]
mod ticker;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use warp::http::{header, StatusCode};
use warp::{Filter, Reply};

const PAGE: &str = include_str!("../../../assets/lesson03.html");
const STYLE: &str = include_str!("../../../assets/style.css");

/// The period for one client: from `?ms=` when it is there, otherwise `default`.
/// `Err(message)` refuses the request with 400 and that message.
fn choose_period(default: Duration, query: &HashMap<String, String>) -> Result<Duration, String> {
    // ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
    let Some(text) = query.get("ms") else {
        return Ok(default);
    };
    match text.parse::<u64>() {
        Ok(ms) if (1..=60_000).contains(&ms) => Ok(Duration::from_millis(ms)),
        _ => Err(format!(
            "ms must be a whole number of milliseconds from 1 to 60000; got {text:?}"
        )),
    }
    // ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────
}

/// The server's period from `TICK_MS` (default 1000), as in the lesson.
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
    // `warp::query` reads `?ms=200&x=y` into a map (an empty map when there is no query).
    let sse = warp::path!("sse")
        .and(warp::query::<HashMap<String, String>>())
        .map(
            move |query: HashMap<String, String>| match choose_period(period, &query) {
                Ok(period) => {
                    warp::sse::reply(ticker::ticks(period, Arc::clone(&sse_stats))).into_response()
                }
                Err(message) => {
                    warp::reply::with_status(message, StatusCode::BAD_REQUEST).into_response()
                }
            },
        );
    let stats = warp::path!("stats").map(move || warp::reply::json(&stats.to_json()));
    warp::get().and(page.or(style).or(sse).or(stats))
}

#[tokio::main]
async fn main() {
    serve::init_logs();
    serve::run(routes(tick_period(), Arc::default())).await;
}
