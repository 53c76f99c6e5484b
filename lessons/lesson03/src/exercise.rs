//! What runs an exercise of this lesson: the lesson's routes, with a `GET /sse` built on your
//! function.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use warp::http::StatusCode;
use warp::sse::Event;
use warp::{Filter, Reply};

use crate::ticker::{self, Stats};
use crate::{routes, tick_period};

/// How many ticks a client gets before `done` (ex2).
const TICK_COUNT: usize = 5;

/// ex1: `GET /sse?ms=...` ticks at the period `choose_period` picks from the server's period
/// (`TICK_MS`) and the query; its `Err(message)` is answered with 400 and that message.
pub async fn serve_ex1(
    choose_period: fn(Duration, &HashMap<String, String>) -> Result<Duration, String>,
) {
    let period = tick_period();
    let stats = Arc::new(Stats::default());
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
    startup::run(routes(sse, stats)).await
}

/// ex2: `GET /sse` sends `ticks_then_done(period, stats, 5)`, `period` from `TICK_MS`.
pub async fn serve_ex2<S>(ticks_then_done: fn(Duration, Arc<Stats>, usize) -> S)
where
    S: Stream<Item = Result<Event, Infallible>> + Send + Sync + 'static,
{
    let period = tick_period();
    let stats = Arc::new(Stats::default());
    let sse_stats = Arc::clone(&stats);
    let sse = warp::path!("sse")
        .map(move || warp::sse::reply(ticks_then_done(period, Arc::clone(&sse_stats), TICK_COUNT)));
    startup::run(routes(sse, stats)).await
}
