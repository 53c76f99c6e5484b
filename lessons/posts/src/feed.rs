//! One change stream for the whole server, fanned out to every SSE client (taught in lesson04).
//!
//! The notes attach `changeStream.on('change', ...)` inside the `/sse` handler: every request adds
//! one more listener to the shared change stream and nothing ever removes it. Each listener keeps
//! writing to its (possibly long closed) response, and the list only grows: a leak.
//!
//! Here one task reads the change stream and sends each new post, already written as an SSE frame,
//! into a `tokio::sync::broadcast` channel. Each `/sse` client *subscribes* to the channel; when the
//! client goes away its stream is dropped, and dropping a subscription is all the clean-up there is.
//!
//! Why a channel at all? warp needs the response stream to be `Send + Sync`, and the driver's
//! `ChangeStream` is not `Sync`, so it cannot be the response itself. It is also just one stream:
//! a channel lets many clients share it. (In the notes, `changeStream` is a local variable of
//! `main()`, which the `/sse` route cannot even see; here `main` hands the route a clone of the
//! [`Feed`], the channel's sending end, and the route subscribes to it.)
//!
//! When MongoDB restarts, the stream fails. The task then opens a new one (from now: what was
//! inserted meanwhile is not replayed) and tells every client `event: resync`, so a page fetches
//! its list again. Only if MongoDB stays away does the task give up (see [`REOPEN_DELAYS`]).
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{Stream, StreamExt};
use mongodb::bson::Document;
use mongodb::change_stream::event::ChangeStreamEvent;
use sse_kit::frame::frame;
use tokio::sync::broadcast::{self, error::RecvError};
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

use crate::json_stringify;
use crate::mongo::{self, PostChanges, StartupError, Watch};

/// How many frames a slow client may fall behind before it misses some (and is told so).
pub const CLIENT_BUFFER: usize = 256;

/// The waits before each attempt to open the change stream again after it failed.
///
/// Why these numbers: the first attempt comes at once (a MongoDB restart takes well under a
/// second), then the waits double, so a server that is starting up is not hammered. Each attempt
/// may itself wait up to the driver's server selection timeout (5 s unless `MONGODB_URI` says
/// otherwise) for a server to answer. Why a bound at all: without MongoDB this server has nothing
/// to send, and its readers would wait on open streams for ever while the terminal shows nothing
/// wrong. After these 6 attempts (about 8 s of waits plus up to 30 s of server selection) it
/// stops and says what to do.
pub const REOPEN_DELAYS: [Duration; 6] = [
    Duration::ZERO,
    Duration::from_millis(250),
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
];

/// The channel every `/sse` client subscribes to, and the counters `/stats` shows.
#[derive(Clone)]
pub struct Feed {
    frames: broadcast::Sender<Bytes>,
    stats: Arc<Stats>,
}

#[derive(Debug, Default)]
struct Stats {
    sse_clients: AtomicU64,
    change_streams: AtomicU64,
    posts: AtomicU64,
    reopens: AtomicU64,
}

/// `event: newPost` + the inserted document as JSON, as the notes' `res.write` calls send it:
/// `event: newPost\ndata: {"_id":"...","title":"..."}\n\n`.
pub fn new_post_frame(post: &Document) -> Bytes {
    json_frame("newPost", post)
}

/// `event: <name>` + `document` as JSON, the way `JSON.stringify` writes it.
///
/// JSON escapes every line break, so the whole document is one `data:` line. `name` is a name
/// fixed in the code (`newPost`, `postDeleted`, ...): one with a line break in it is a bug, and
/// panics (lesson02's frame refuses it rather than let it add fields to the stream).
pub fn json_frame(name: &str, document: &Document) -> Bytes {
    match frame(Some(name), None, &json_stringify::to_json(document)) {
        Ok(written) => Bytes::from(written),
        Err(err) => panic!("event name {name:?}: {err}"),
    }
}

/// Turns one change event into the frame every client gets, or `None` to send nothing.
pub type ToFrame = fn(&ChangeStreamEvent<Document>) -> Option<Bytes>;

/// This lesson's [`ToFrame`]: an insert's `fullDocument` as `event: newPost`.
pub fn new_post_event(event: &ChangeStreamEvent<Document>) -> Option<Bytes> {
    match &event.full_document {
        Some(post) => Some(new_post_frame(post)),
        None => {
            tracing::warn!(?event.operation_type, "a change event without fullDocument");
            None
        }
    }
}

/// Tells a client that it fell behind and `missed` frames were dropped for it.
fn lagged_frame(missed: u64) -> Bytes {
    Bytes::from(format!("event: lagged\ndata: {{\"missed\":{missed}}}\n\n"))
}

/// Tells every client that the change stream was opened again: posts inserted while it was
/// down never come as events, so a page should fetch its list again.
pub const RESYNC_FRAME: &str = "event: resync\ndata: {\"reason\":\"change-stream-reopened\"}\n\n";

impl Feed {
    /// Opens the change stream described by `watch` and starts the one task that reads it for
    /// the whole server, sending each insert as `event: newPost`. A failure to open it now is a
    /// startup error; later failures are survived (see [`REOPEN_DELAYS`]). The returned handle
    /// finishes only when the task gives up, with the message to print.
    pub async fn open(
        watch: Watch,
    ) -> Result<(Feed, tokio::task::JoinHandle<String>), StartupError> {
        Feed::open_with(watch, new_post_event).await
    }

    /// Like [`Feed::open`], with your own choice of frame for each change event.
    pub async fn open_with(
        watch: Watch,
        to_frame: ToFrame,
    ) -> Result<(Feed, tokio::task::JoinHandle<String>), StartupError> {
        let changes = watch.open().await?;
        Ok(Feed::spawn(changes, watch, to_frame))
    }

    fn spawn(
        changes: PostChanges,
        watch: Watch,
        to_frame: ToFrame,
    ) -> (Feed, tokio::task::JoinHandle<String>) {
        let (frames, _) = broadcast::channel(CLIENT_BUFFER);
        let feed = Feed {
            frames,
            stats: Arc::default(),
        };
        let task = tokio::spawn(feed.clone().follow(changes, watch, to_frame));
        (feed, task)
    }

    /// Reads change events, reopening the stream after a failure, until it gives up; returns
    /// the message to print then.
    async fn follow(self, mut changes: PostChanges, watch: Watch, to_frame: ToFrame) -> String {
        loop {
            self.stats.change_streams.fetch_add(1, Ordering::Relaxed);
            let lost = self.forward(&mut changes, to_frame).await;
            self.stats.change_streams.fetch_sub(1, Ordering::Relaxed);
            drop(changes);
            tracing::warn!(reason = %lost, "lost the change stream; opening a new one");
            changes = match reopen(&watch).await {
                Ok(reopened) => reopened,
                Err(gave_up) => return gave_up,
            };
            self.stats.reopens.fetch_add(1, Ordering::Relaxed);
            tracing::info!("the change stream is open again; telling every client to resync");
            // An error here only means that no client is listening right now.
            let _ = self
                .frames
                .send(Bytes::from_static(RESYNC_FRAME.as_bytes()));
        }
    }

    /// Reads change events until the stream fails or ends, and returns why, in one line.
    /// (The driver already resumes by itself after a dropped connection, when the server still
    /// has the history; after a restart of the practice server it has none, so we get here.)
    async fn forward(&self, changes: &mut PostChanges, to_frame: ToFrame) -> String {
        loop {
            match changes.next().await {
                Some(Ok(event)) => {
                    if let Some(frame) = to_frame(&event) {
                        self.stats.posts.fetch_add(1, Ordering::Relaxed);
                        // An error here only means that no client is listening right now.
                        let _ = self.frames.send(frame);
                    }
                }
                Some(Err(err)) => {
                    return format!("the change stream failed: {}", mongo::short_reason(&err))
                }
                None => return "the change stream ended (was the collection dropped?)".to_owned(),
            }
        }
    }

    /// A new client's event stream: every frame sent from now on, until the client goes away.
    pub fn subscribe(
        &self,
    ) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + Sync + 'static {
        let guard = ClientGuard::new(Arc::clone(&self.stats));
        futures::stream::unfold(
            (self.frames.subscribe(), guard),
            |(mut receiver, guard)| async move {
                let frame = match receiver.recv().await {
                    Ok(frame) => frame,
                    // This client was too slow and the channel dropped its `missed` oldest
                    // frames: say so. The next `recv` then gives the OLDEST frame the channel
                    // still holds (not the newest), and the client carries on from there.
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(
                            client = guard.client,
                            missed,
                            "a slow client missed frames"
                        );
                        lagged_frame(missed)
                    }
                    Err(RecvError::Closed) => return None,
                };
                Some((Ok(frame), (receiver, guard)))
            },
        )
    }

    /// The `/sse` response for a new client: its stream with the notes' three headers (the
    /// notes' change-stream handler sets none; see `sse_kit::reply`). Subscribing happens here,
    /// before the response goes out, so every post inserted from now on reaches this client.
    /// Nothing is added to the change stream itself.
    pub fn sse_reply(&self) -> Response {
        sse_kit::reply::event_stream(self.subscribe())
    }

    /// The JSON for `GET /stats`.
    pub fn stats_json(&self) -> serde_json::Value {
        serde_json::json!({
            "sse_clients": self.stats.sse_clients.load(Ordering::Relaxed),
            "change_streams": self.stats.change_streams.load(Ordering::Relaxed),
            "posts": self.stats.posts.load(Ordering::Relaxed),
            "reopens": self.stats.reopens.load(Ordering::Relaxed),
        })
    }
}

/// `GET /sse` and `GET /stats`, for every program that serves the one feed (lessons 04 and 05).
/// `reply` makes each client's `/sse` response: [`Feed::sse_reply`], or an exercise's own.
pub fn routes<R>(
    feed: Feed,
    reply: R,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone
where
    R: Fn(&Feed) -> Response + Clone + Send + Sync + 'static,
{
    // The route gets its own clone of the feed (a handle on the one channel): in the notes the
    // route cannot see `changeStream`, a local variable of main().
    let sse_feed = feed.clone();
    // Each client subscribes to the one feed (see `Feed::sse_reply`). Path before method, so
    // that an unknown path is a 404, not a 405.
    let sse = warp::path!("sse")
        .and(warp::get())
        .map(move || reply(&sse_feed));
    let stats = warp::path!("stats")
        .and(warp::get())
        .map(move || warp::reply::json(&feed.stats_json()).into_response());
    sse.or(stats).unify()
}

/// Opens the stream again, waiting [`REOPEN_DELAYS`] before each attempt. `Err` is the message
/// to print when every attempt failed.
async fn reopen(watch: &Watch) -> Result<PostChanges, String> {
    let started = Instant::now();
    let mut last = String::new();
    for (attempt, delay) in REOPEN_DELAYS.iter().enumerate() {
        // Not a sleep used as synchronisation: a backoff, so a restarting server is not hammered.
        tokio::time::sleep(*delay).await;
        match watch.open().await {
            Ok(changes) => return Ok(changes),
            Err(err) => {
                last = err.short_reason();
                tracing::warn!(attempt = attempt + 1, reason = %last, "could not open the change stream");
            }
        }
    }
    Err(format!(
        "lost the change stream and could not open it again ({} attempts in {} s): {last}\n\
         hint: is MongoDB still running? Start it again (cargo run -p practice-mongo, or your own \
         server), then run this lesson again",
        REOPEN_DELAYS.len(),
        started.elapsed().as_secs()
    ))
}

/// Counts one connected client for as long as its stream lives.
struct ClientGuard {
    client: u64,
    stats: Arc<Stats>,
}

impl ClientGuard {
    fn new(stats: Arc<Stats>) -> ClientGuard {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let client = NEXT.fetch_add(1, Ordering::Relaxed);
        stats.sse_clients.fetch_add(1, Ordering::Relaxed);
        tracing::info!(client, "SSE client subscribed");
        ClientGuard { client, stats }
    }
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.stats.sse_clients.fetch_sub(1, Ordering::Relaxed);
        tracing::info!(
            client = self.client,
            "SSE client went away: its subscription is dropped"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::doc;

    fn feed_with_capacity(capacity: usize) -> Feed {
        let (frames, _) = broadcast::channel(capacity);
        Feed {
            frames,
            stats: Arc::default(),
        }
    }

    async fn next<S>(client: &mut S) -> Bytes
    where
        S: Stream<Item = Result<Bytes, Infallible>> + Unpin,
    {
        match client.next().await {
            Some(Ok(frame)) => frame,
            other => panic!("expected a frame, got {other:?}"),
        }
    }

    fn post(n: i32) -> Bytes {
        new_post_frame(&doc! { "n": n })
    }

    #[tokio::test]
    async fn a_slow_client_is_told_what_it_missed_then_resumes_at_the_oldest_kept_frame() {
        let feed = feed_with_capacity(2);
        let mut client = Box::pin(feed.subscribe());
        for n in 1..=5 {
            feed.frames.send(post(n)).expect("one subscriber");
        }
        // The channel holds only 2 frames (4 and 5): this client missed 1, 2 and 3 and is told so.
        assert_eq!(
            next(&mut client).await,
            "event: lagged\ndata: {\"missed\":3}\n\n"
        );
        // Then it gets the OLDEST frame still held, 4, not the newest, 5 ...
        assert_eq!(
            next(&mut client).await,
            "event: newPost\ndata: {\"n\":4}\n\n"
        );
        // ... and, having read 4, there is room again: 6 is kept, nothing more is missed.
        feed.frames.send(post(6)).expect("one subscriber");
        assert_eq!(
            next(&mut client).await,
            "event: newPost\ndata: {\"n\":5}\n\n"
        );
        assert_eq!(
            next(&mut client).await,
            "event: newPost\ndata: {\"n\":6}\n\n"
        );
    }

    #[tokio::test]
    async fn a_client_is_counted_while_its_stream_lives() {
        let feed = feed_with_capacity(2);
        let first = feed.subscribe();
        let second = feed.subscribe();
        assert_eq!(feed.stats_json()["sse_clients"], 2);
        drop(first);
        assert_eq!(feed.stats_json()["sse_clients"], 1);
        drop(second);
        assert_eq!(feed.stats_json()["sse_clients"], 0);
    }
}
