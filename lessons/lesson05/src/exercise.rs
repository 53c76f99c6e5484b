//! What lesson05's exercises run around your answer: lesson05's whole app (`routes_with`),
//! started as lesson04 starts (`posts::serve_feed`), with your piece in place of the lesson's.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use futures::Stream;
use posts::feed::{self, Feed};
use posts::new_post::InputError;
use posts::{mongo, serve_feed};
use tokio::sync::watch;

/// Exercise 1: `GET /posts` returns as many posts as your `choose_limit` says, given the query's
/// fields; its `Err(message)` is answered `400` with `{"error":<message>,"field":"limit"}`.
pub async fn serve_ex1(choose_limit: fn(&HashMap<String, String>) -> Result<i64, String>) {
    let read_query = move |query: Option<&str>| {
        let fields: HashMap<String, String> = serde_urlencoded::from_str(query.unwrap_or_default())
            .map_err(|_| InputError::request(400, "the query string is not valid"))?;
        choose_limit(&fields).map_err(|message| InputError {
            status: 400,
            message,
            field: Some("limit".to_owned()),
        })
    };
    serve_feed::run(
        mongo::only_inserts(),
        feed::new_post_event,
        move |collection, feed| {
            crate::routes_with(
                posts::routes::routes_with(collection, read_query),
                feed::routes(feed, Feed::sse_reply),
            )
        },
    )
    .await
}

/// How many readers have a stream open; every client can watch it change.
pub type Readers = Arc<watch::Sender<usize>>;

/// Counts one reader for as long as it lives (like lesson03's guard).
pub struct Reader(Readers);

impl Reader {
    /// One more reader, from now until this `Reader` is dropped.
    pub fn new(readers: &Readers) -> Reader {
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
pub fn count_changes(readers: &Readers) -> impl Stream<Item = Bytes> + Send + Sync + 'static {
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

/// Exercise 2: lesson05's app, and each `/sse` client gets the stream your `client_stream`
/// makes of the feed and the [`Readers`] count (with the event-stream headers).
pub async fn serve_ex2<S>(client_stream: fn(&Feed, &Readers) -> S)
where
    S: Stream<Item = Result<Bytes, Infallible>> + Send + Sync + 'static,
{
    let readers: Readers = Arc::new(watch::Sender::new(0));
    let reply = move |feed: &Feed| sse_kit::reply::event_stream(client_stream(feed, &readers));
    serve_feed::run(
        mongo::only_inserts(),
        feed::new_post_event,
        move |collection, feed| {
            crate::routes_with(posts::routes::routes(collection), feed::routes(feed, reply))
        },
    )
    .await
}
