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

use std::collections::HashMap;
use std::time::Duration;

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

#[tokio::main]
async fn main() {
    lesson03::exercise::serve_ex1(choose_period).await
}
