//! What runs an exercise of this lesson: the exercises' page and `GET /sse`, whose frames come
//! from your function.

use std::time::Duration;

use futures::stream::{self, Stream, StreamExt};
use sse_kit::frame::{self, FrameError};
use sse_kit::page::page;
use sse_kit::reply::event_stream;
use warp::Filter;

use crate::{demo_events, EXERCISE_PAGE};

/// ex1: `GET /sse` sends what `frames()` returns and then ENDS, so the browser connects again
/// (with `Last-Event-ID` once it has seen an id, which we log).
pub async fn serve_ex1(frames: fn() -> Vec<Result<String, FrameError>>) {
    let sse = warp::path!("sse")
        .and(warp::header::optional::<String>("last-event-id"))
        .map(move |last_event_id: Option<String>| {
            tracing::info!(?last_event_id, "a client opened /sse");
            // No `stream::pending()`: the response ends after the frames.
            event_stream(stream::iter(frames()))
        });
    startup::run(warp::get().and(page(EXERCISE_PAGE).or(sse))).await
}

/// ex2: `GET /sse` sends the four demo events, then `after_the_events(every)` for ever; `every`
/// is `HEARTBEAT_MS`, default 15000 (the checker sets it lower).
pub async fn serve_ex2<S>(after_the_events: fn(Duration) -> S)
where
    S: Stream<Item = Result<String, FrameError>> + Send + Sync + 'static,
{
    let every = startup::settings::millis("HEARTBEAT_MS", Duration::from_secs(15));
    let sse = warp::path!("sse").map(move || {
        let events = demo_events()
            .into_iter()
            .map(|(name, data)| frame::frame(name, None, &data));
        event_stream(stream::iter(events).chain(after_the_events(every)))
    });
    startup::run(warp::get().and(page(EXERCISE_PAGE).or(sse))).await
}
