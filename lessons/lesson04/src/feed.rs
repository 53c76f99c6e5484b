//! One change stream for the whole server, fanned out to every SSE client.
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
//! a channel lets many clients share it.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use mongodb::bson::Document;
use mongodb::change_stream::event::ChangeStreamEvent;
use tokio::sync::broadcast::{self, error::RecvError};

use crate::mongo::PostChanges;
use crate::node_json;

/// How many frames a slow client may fall behind before it misses some (and is told so).
pub const CLIENT_BUFFER: usize = 256;

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
}

/// `event: newPost` + the inserted document as JSON, as the notes' `res.write` calls send it.
pub fn new_post_frame(post: &mongodb::bson::Document) -> Bytes {
    // JSON escapes every line break, so the whole document is one `data:` line.
    Bytes::from(format!(
        "event: newPost\ndata: {}\n\n",
        node_json::to_json(post)
    ))
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

impl Feed {
    /// Starts the one task that reads `changes` for the whole server, sending each insert as
    /// `event: newPost`. The returned handle finishes only if the change stream fails or ends.
    pub fn start(changes: PostChanges) -> (Feed, tokio::task::JoinHandle<String>) {
        Feed::start_with(changes, new_post_event)
    }

    /// Like [`Feed::start`], with your own choice of frame for each change event.
    pub fn start_with(
        changes: PostChanges,
        to_frame: ToFrame,
    ) -> (Feed, tokio::task::JoinHandle<String>) {
        let (frames, _) = broadcast::channel(CLIENT_BUFFER);
        let feed = Feed {
            frames,
            stats: Arc::default(),
        };
        // Counted from the moment it is open, uncounted when `forward` returns.
        feed.stats.change_streams.fetch_add(1, Ordering::Relaxed);
        let task = tokio::spawn(feed.clone().forward(changes, to_frame));
        (feed, task)
    }

    /// Reads change events until the stream fails or ends, and returns why it stopped.
    /// (The driver already resumes by itself after a dropped connection or a resumable error.)
    async fn forward(self, mut changes: PostChanges, to_frame: ToFrame) -> String {
        let reason = loop {
            match changes.next().await {
                Some(Ok(event)) => {
                    if let Some(frame) = to_frame(&event) {
                        self.stats.posts.fetch_add(1, Ordering::Relaxed);
                        // An error here only means that no client is listening right now.
                        let _ = self.frames.send(frame);
                    }
                }
                Some(Err(err)) => break format!("the change stream failed: {err}"),
                None => break "the change stream ended (was the collection dropped?)".to_owned(),
            }
        };
        self.stats.change_streams.fetch_sub(1, Ordering::Relaxed);
        reason
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
                    // This client was too slow and the channel dropped `missed` frames for it:
                    // say so, then carry on with the newest frames.
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

    /// The `/sse` response for a new client: its stream with the notes' three headers.
    /// Subscribing happens here, before the response goes out, so every post inserted from now
    /// on reaches this client. Nothing is added to the change stream itself.
    pub fn sse_reply(&self) -> impl warp::Reply {
        use warp::http::header;
        let reply = warp::reply::stream(self.subscribe());
        let reply = warp::reply::with_header(reply, header::CONTENT_TYPE, "text/event-stream");
        let reply = warp::reply::with_header(reply, header::CACHE_CONTROL, "no-cache");
        warp::reply::with_header(reply, header::CONNECTION, "keep-alive")
    }

    /// The JSON for `GET /stats`.
    pub fn stats_json(&self) -> serde_json::Value {
        serde_json::json!({
            "sse_clients": self.stats.sse_clients.load(Ordering::Relaxed),
            "change_streams": self.stats.change_streams.load(Ordering::Relaxed),
            "posts": self.stats.posts.load(Ordering::Relaxed),
        })
    }
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

    #[tokio::test]
    async fn a_slow_client_is_told_what_it_missed_and_keeps_going() {
        let feed = feed_with_capacity(2);
        let mut client = Box::pin(feed.subscribe());
        for n in 1..=5 {
            feed.frames
                .send(new_post_frame(&doc! { "n": n }))
                .expect("one subscriber");
        }
        // The channel kept only the last 2 frames: this client missed 3, is told so, then gets 4 and 5.
        let mut received = Vec::new();
        for _ in 0..3 {
            match client.next().await {
                Some(Ok(frame)) => received.push(frame),
                other => panic!("expected a frame, got {other:?}"),
            }
        }
        assert_eq!(
            received,
            [
                "event: lagged\ndata: {\"missed\":3}\n\n",
                "event: newPost\ndata: {\"n\":4}\n\n",
                "event: newPost\ndata: {\"n\":5}\n\n",
            ]
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
