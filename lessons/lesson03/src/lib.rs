//! Lesson 03: a timer per client, stopped when the client goes away. The timer and the moment
//! it stops are in `src/ticker.rs`; this file holds the routes around it, shared by
//! `src/main.rs` and the exercises ([`exercise`]).

pub mod exercise;
pub mod ticker;

use std::sync::Arc;
use std::time::Duration;

use warp::{Filter, Rejection, Reply};

use ticker::Stats;

/// The page: one paragraph per tick, the stream's state, and the `/stats` counters.
const PAGE: &str = include_str!("../../../assets/lesson03.html");

/// The tick period from `TICK_MS` (default 1000, like the notes' `setInterval(..., 1000)`).
pub fn tick_period() -> Duration {
    startup::settings::millis("TICK_MS", Duration::from_millis(1000))
}

/// `GET /`, `GET /style.css`, `GET /stats` (the counters in `stats`), and `sse`, the route
/// that answers `GET /sse`.
pub fn routes<F, R>(
    sse: F,
    stats: Arc<Stats>,
) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone
where
    F: Filter<Extract = (R,), Error = Rejection> + Clone + Send + Sync + 'static,
    R: Reply,
{
    let stats = warp::path!("stats").map(move || warp::reply::json(&stats.to_json()));
    warp::get().and(sse_kit::page::page(PAGE).or(sse).or(stats))
}
