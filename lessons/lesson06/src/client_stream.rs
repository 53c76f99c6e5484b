//! One change stream per SSE client, started where that client left off.
//!
//! lesson04 opened one change stream for everybody, so a client that was away (a dropped Wi-Fi, a
//! restarted server) missed every post written meanwhile. Here each `/sse` client gets a change
//! stream of its own:
//!
//! - a new client (no `Last-Event-ID`): a stream that starts now, and a first `id:` frame with the
//!   stream's position, so that even a client that sees no post before it loses the connection
//!   knows where to resume;
//! - a returning client (`Last-Event-ID: <token>`): a stream that starts right after that token
//!   (`resume_after`). MongoDB replays what the client missed, in order, and the *same cursor*
//!   then carries on with live posts. There is no moment where we switch from "replay" to "live",
//!   so there is nothing to lose or to send twice in between;
//! - a `Last-Event-ID` we cannot use (not one of our ids, refused by MongoDB, or too old: error
//!   286 `ChangeStreamHistoryLost`): a stream that starts now, and `event: resync` telling the
//!   page to reload its list. Still `200 OK`: any other status would make the browser give up.
//!
//! The price: one cursor on MongoDB per connected client, and while it waits for news (an
//! "awaiting getMore", up to 1 s each round) it holds one connection from the driver's pool. So
//! [`Streams`] lets at most `max_clients` streams exist (`limits.rs` sizes the connection pool to
//! match), and two rules keep anyone from holding those slots for ever:
//!
//! - past the limit a client is not kept waiting: [`Streams::connect`] answers [`Busy`] at once
//!   (`reply.rs` turns that into "come back in 5 s");
//! - a client that has been handed no frame for `idle_timeout` (a quiet room, or a reader that
//!   stopped reading so its frames pile up) is ended. Its slot is free again; a browser comes back
//!   after `retry` with its `Last-Event-ID` and misses nothing, which is this lesson's point.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use mongodb::bson::Document;
use mongodb::error::ErrorKind;
use mongodb::Collection;
use posts::mongo::{PostChanges, Watch};
use posts::resume_id;
use sse_kit::counted::Counted;
use sse_kit::frame;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio::time::{sleep_until, Instant};

use crate::frames;

/// How many frames may wait for a slow client. When they are not taken, the client's task stops
/// reading its change stream: MongoDB keeps the rest, our memory does not grow.
const FRAME_BUFFER: usize = 16;

/// How long a client may go without being handed a frame before its response ends (see above).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// At most this many characters of a client's `Last-Event-ID` go into a log line: the header can
/// be as long as the server accepts (hundreds of KB), and a log must not grow with what a client
/// sends. The line also gives the whole length.
const LOGGED_ID_CHARS: usize = 64;

/// Opens the per-client change streams and counts them.
#[derive(Clone)]
pub struct Streams {
    /// The notes' change stream (inserts into `post`), opened once per client.
    watch: Watch,
    slots: Arc<Semaphore>,
    max_clients: usize,
    idle_timeout: Duration,
    stats: Arc<Stats>,
}

/// Every slot is taken: `max_clients` clients have a change stream. Try again later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    pub max_clients: usize,
}

/// What `/stats` shows: connected clients, open change streams, clients turned away so far.
#[derive(Debug, Default)]
struct Stats {
    sse_clients: Arc<AtomicU64>,
    change_streams: Arc<AtomicU64>,
    busy_answers: AtomicU64,
}

/// How a client's stream began.
enum Start {
    Fresh,
    Resumed,
    Resync(&'static str),
}

impl Streams {
    /// At most `max_clients` change streams at once (keep it well below `Semaphore::MAX_PERMITS`;
    /// `limits.rs` allows 1 to 10,000), each ended after [`IDLE_TIMEOUT`] without a frame.
    pub fn new(posts: Collection<Document>, max_clients: usize) -> Streams {
        Streams {
            watch: Watch::inserts(&posts),
            slots: Arc::new(Semaphore::new(max_clients)),
            max_clients,
            idle_timeout: IDLE_TIMEOUT,
            stats: Arc::default(),
        }
    }

    /// The same, with another idle timeout (`IDLE_TIMEOUT_MS`, read in `limits.rs`).
    pub fn with_idle_timeout(self, idle_timeout: Duration) -> Streams {
        Streams {
            idle_timeout,
            ..self
        }
    }

    /// Everything one `/sse` response sends: `retry:`, how the stream starts, then the posts.
    /// Returns once the change stream is open, so when the browser sees the response head
    /// (`onopen`), every later post is already on its way to it. Returns [`Busy`] at once when
    /// every slot is taken: a client kept waiting would hold a connection (and a file descriptor)
    /// for as long as the others stay, with no word about why.
    pub async fn connect(
        &self,
        last_event_id: Option<String>,
        retry_ms: u64,
    ) -> Result<impl Stream<Item = Result<Bytes, Infallible>> + Send + Sync + 'static, Busy> {
        let Ok(slot) = Arc::clone(&self.slots).try_acquire_owned() else {
            self.stats.busy_answers.fetch_add(1, Ordering::Relaxed);
            return Err(Busy {
                max_clients: self.max_clients,
            });
        };
        let client = Counted::new(&self.stats.sse_clients);

        let mut first = vec![Bytes::from(frame::retry(retry_ms))];
        let mut receiver = None;
        match open(&self.watch, last_event_id.as_deref()).await {
            Ok((changes, start)) => {
                // Where this stream starts: the position a reconnect would resume from.
                let here = changes
                    .resume_token()
                    .map(|token| resume_id::encode(&token))
                    .unwrap_or_default();
                let start_frame = match start {
                    Start::Fresh => Some(frame::id_only(&here)),
                    Start::Resumed => None,
                    Start::Resync(reason) => Some(frames::resync(reason, &here)),
                };
                match start_frame.transpose() {
                    Ok(frame) => first.extend(frame.map(Bytes::from)),
                    Err(err) => tracing::error!(%err, "not sending a broken frame"),
                }
                let (sender, frames) = mpsc::channel(FRAME_BUFFER);
                let counted = Counted::new(&self.stats.change_streams);
                tokio::spawn(forward(changes, sender, self.idle_timeout, slot, counted));
                receiver = Some(frames);
            }
            // MongoDB is unreachable (or gone): end the response after `retry:`. The browser
            // waits `retry` ms and reconnects with the same Last-Event-ID: nothing is lost.
            Err(err) => {
                tracing::warn!(%err, "could not open a change stream; the client will retry")
            }
        }

        let live = futures::stream::unfold((receiver, client), |(receiver, client)| async move {
            let mut receiver = receiver?;
            let frame = receiver.recv().await?;
            Some((frame, (Some(receiver), client)))
        });
        Ok(futures::stream::iter(first).chain(live).map(Ok))
    }

    /// The JSON for `GET /stats`.
    pub fn stats_json(&self) -> serde_json::Value {
        serde_json::json!({
            "sse_clients": self.stats.sse_clients.load(Ordering::Relaxed),
            "change_streams": self.stats.change_streams.load(Ordering::Relaxed),
            "max_clients": self.max_clients,
            "busy_answers": self.stats.busy_answers.load(Ordering::Relaxed),
        })
    }
}

/// Opens this client's change stream, after `last_event_id` when it can.
async fn open(
    watch: &Watch,
    last_event_id: Option<&str>,
) -> mongodb::error::Result<(PostChanges, Start)> {
    // Browsers send the header only when they have an id; an empty one means "none".
    let Some(id) = last_event_id.filter(|id| !id.is_empty()) else {
        return Ok((watch.open_after(None).await?, Start::Fresh));
    };
    let Some(token) = resume_id::decode(id) else {
        tracing::info!(
            id = log_prefix(id),
            len = id.len(),
            "Last-Event-ID is not one of our ids: resync"
        );
        return Ok((watch.open_after(None).await?, Start::Resync("bad-id")));
    };
    match watch.open_after(Some(token)).await {
        Ok(changes) => {
            tracing::info!("a client resumed after its Last-Event-ID");
            Ok((changes, Start::Resumed))
        }
        // MongoDB answered, and said no: the token is too old (286) or not a token it knows.
        Err(err) => match &*err.kind {
            ErrorKind::Command(refused) => {
                let reason = if refused.code == 286 {
                    "history-lost"
                } else {
                    "bad-id"
                };
                tracing::info!(code = refused.code, message = %refused.message, reason, "cannot resume: resync");
                Ok((watch.open_after(None).await?, Start::Resync(reason)))
            }
            _ => Err(err),
        },
    }
}

/// The first [`LOGGED_ID_CHARS`] characters of `id`, for a log line.
fn log_prefix(id: &str) -> &str {
    match id.char_indices().nth(LOGGED_ID_CHARS) {
        Some((end, _)) => &id[..end],
        None => id,
    }
}

/// One client's task: change events in, frames out, until the client goes away or has been handed
/// no frame for `idle_timeout`. Returning drops `_slot`, which frees the client's place.
async fn forward(
    mut changes: PostChanges,
    frames: mpsc::Sender<Bytes>,
    idle_timeout: Duration,
    _slot: OwnedSemaphorePermit,
    _counted: Counted,
) {
    let mut deadline = Instant::now() + idle_timeout;
    loop {
        let event = tokio::select! {
            // The client went away (its response stream was dropped): stop reading now, and
            // dropping `changes` closes its cursor.
            () = frames.closed() => return,
            () = sleep_until(deadline) => return end_idle(&frames, idle_timeout),
            event = changes.next() => event,
        };
        let event = match event {
            Some(Ok(event)) => event,
            // The driver already retried what can be retried. End this response: the browser
            // reconnects with its Last-Event-ID and the next stream starts from there.
            Some(Err(err)) => {
                tracing::warn!(%err, "a client's change stream failed; its response ends");
                return;
            }
            None => {
                tracing::info!("a client's change stream ended (was the collection dropped?)");
                return;
            }
        };
        let Some(post) = event.full_document else {
            continue;
        };
        match frames::new_post(&post, &resume_id::encode(&event.id)) {
            Ok(frame) => {
                // A reader that stopped reading fills its 16 places; then this waits, and the
                // same deadline ends it.
                tokio::select! {
                    sent = frames.send(Bytes::from(frame)) => if sent.is_err() {
                        return; // the client went away while we waited for room
                    },
                    () = sleep_until(deadline) => return end_idle(&frames, idle_timeout),
                }
                deadline = Instant::now() + idle_timeout;
            }
            Err(err) => {
                tracing::error!(%err, "not sending a broken frame; the response ends");
                return;
            }
        }
    }
}

/// Ends an idle client's response, with a comment saying why when there is room for it (a reader
/// that stopped reading has none, and we do not wait for it).
fn end_idle(frames: &mpsc::Sender<Bytes>, idle_timeout: Duration) {
    tracing::debug!(
        ?idle_timeout,
        "no frame for a client: its response ends, its slot is free"
    );
    match frames::idle_end(idle_timeout) {
        // Full (the reader stopped reading) or gone: the response ends all the same.
        Ok(comment) => {
            let _ = frames.try_send(Bytes::from(comment));
        }
        Err(err) => tracing::error!(%err, "not sending a broken frame"),
    }
}
