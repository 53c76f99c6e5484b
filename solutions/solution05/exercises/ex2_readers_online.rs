//! Lesson 05, exercise 2: "N readers online", live on every page.
//!
//! Task: besides the posts, send every client the number of readers connected right now, at once
//! when it connects and again whenever the number changes (someone opens or closes the page):
//!
//!     event: readers
//!     data: 2
//!
//! The pieces are ready below: `Reader` counts one reader while it lives (like lesson03's guard),
//! `count_changes()` turns the count into frames. Put them into `client_stream()`, next to the posts.
//!
//! Run it:    cargo run -p practice-mongo      and      cargo run -p lesson05 --bin lesson05-ex2
//!            then  curl -N http://127.0.0.1:3000/sse   in two terminals; stop one
//! Check it:  cargo tutor check 5

#[path = "../../../lessons/lesson05/src/serve.rs"]
mod serve;

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use lesson04::feed::Feed;
use lesson04::mongo;
use tokio::sync::watch;
use warp::http::header;
use warp::Filter;

/// How many readers have a stream open; every client can watch it change.
type Readers = Arc<watch::Sender<usize>>;

/// Counts one reader for as long as it lives.
#[allow(dead_code)] // used by your answer
struct Reader(Readers);

#[allow(dead_code)] // used by your answer
impl Reader {
    fn new(readers: &Readers) -> Reader {
        readers.send_modify(|count| *count += 1);
        Reader(Arc::clone(readers))
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.0.send_modify(|count| *count -= 1);
    }
}

/// The count now, then each new count, as `event: readers` frames.
#[allow(dead_code)] // used by your answer
fn count_changes(readers: &Readers) -> impl Stream<Item = Bytes> + Send + Sync + 'static {
    let mut watcher = readers.subscribe();
    watcher.mark_changed(); // so that the current count comes first
    futures::stream::unfold(watcher, |mut watcher| async move {
        watcher.changed().await.ok()?;
        let count = *watcher.borrow_and_update();
        Some((
            Bytes::from(format!("event: readers\ndata: {count}\n\n")),
            watcher,
        ))
    })
}

/// One client's frames: the posts and the reader counts.
fn client_stream(
    feed: &Feed,
    readers: &Readers,
) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + Sync + 'static {
    // ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
    let reader = Reader::new(readers); // counted from now on, so the first count includes it
    let counts = count_changes(readers).map(move |frame| {
        let _still_reading = &reader; // the reader lives (and is counted) as long as this stream
        Ok(frame)
    });
    futures::stream::select(feed.subscribe(), counts)
    // ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────
}

fn sse_reply(feed: &Feed, readers: &Readers) -> impl warp::Reply {
    let reply = warp::reply::stream(client_stream(feed, readers));
    let reply = warp::reply::with_header(reply, header::CONTENT_TYPE, "text/event-stream");
    let reply = warp::reply::with_header(reply, header::CACHE_CONTROL, "no-cache");
    warp::reply::with_header(reply, header::CONNECTION, "keep-alive")
}

#[tokio::main]
async fn main() {
    serve::init_logs();
    let uri = std::env::var("MONGODB_URI").unwrap_or_else(|_| mongo::DEFAULT_URI.to_owned());
    let opened = async {
        let posts = mongo::connect(&uri).await?;
        Feed::open(mongo::Watch::inserts(&posts)).await
    };
    let (feed, feed_task) = match opened.await {
        Ok(opened) => opened,
        Err(err) => serve::exit(err.exit_code(), &err.to_string()),
    };
    let readers: Readers = Arc::new(watch::Sender::new(0));
    let sse = warp::path!("sse")
        .and(warp::get())
        .map(move || sse_reply(&feed, &readers));

    tokio::select! {
        () = serve::run(sse) => {}
        stopped = feed_task => {
            let reason = stopped.unwrap_or_else(|err| format!("the change stream task failed: {err}"));
            serve::exit(1, &reason);
        }
    }
}
