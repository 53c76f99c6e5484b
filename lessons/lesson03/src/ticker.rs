//! One timer per client, and the moment it stops.
//!
//! The notes start `setInterval` in the request handler and call `clearInterval` in
//! `req.on('close')`. In Rust the timer lives *inside* the response body stream. When the client
//! goes away, hyper drops the response body, which drops the stream, which drops the timer: there
//! is no `close` handler to forget. To make that moment visible we put a guard in the stream whose
//! `Drop` logs it and updates the counters that `GET /stats` shows.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_stream::wrappers::IntervalStream;
use warp::sse::Event;

/// Counters shared by every client, shown by `GET /stats`.
#[derive(Debug, Default)]
pub struct Stats {
    open_streams: AtomicU64,
    ticks_sent: AtomicU64,
    clients_seen: AtomicU64,
}

impl Stats {
    /// The JSON for `GET /stats`: how many streams are open now, and how many ticks were sent.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "open_streams": self.open_streams.load(Ordering::Relaxed),
            "ticks_sent": self.ticks_sent.load(Ordering::Relaxed),
        })
    }
}

/// Lives exactly as long as one client's stream. Dropping it is the notes' `clearInterval`.
struct ClientGuard {
    client: u64,
    stats: Arc<Stats>,
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.stats.open_streams.fetch_sub(1, Ordering::Relaxed);
        tracing::info!(
            client = self.client,
            "client went away: its timer is dropped (clearInterval)"
        );
    }
}

/// The event stream for one client: `data:tick 1`, `data:tick 2`, ... one every `period`.
pub fn ticks(period: Duration, stats: Arc<Stats>) -> impl Stream<Item = Result<Event, Infallible>> {
    let client = stats.clients_seen.fetch_add(1, Ordering::Relaxed) + 1;
    stats.open_streams.fetch_add(1, Ordering::Relaxed);
    tracing::info!(client, "client connected: its timer starts (setInterval)");
    let guard = ClientGuard { client, stats };

    // Like setInterval, the first tick comes one period after the start, not at once.
    let mut interval = tokio::time::interval_at(Instant::now() + period, period);
    // If a tick is late (a busy machine), carry on from now instead of sending a burst.
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);

    IntervalStream::new(interval)
        .zip(futures::stream::iter(1..))
        .map(move |(_, n): (_, u64)| {
            // `guard` is moved into this closure, so it is dropped together with the stream.
            guard.stats.ticks_sent.fetch_add(1, Ordering::Relaxed);
            Ok(Event::default().data(format!("tick {n}")))
        })
}
