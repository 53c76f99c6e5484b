//! Resuming on ANY instance: what makes three instances behave like one.
//!
//! Every post goes out with its change event's resume token as `id:` (lesson06's idea). The
//! browser keeps the last id it saw and sends it back as `Last-Event-ID` when it reconnects,
//! and behind a load balancer it may reach another instance. That does not matter: a resume
//! token names a point in the replica set's history (its oplog), which every instance can read.
//! So the instance that takes the reader:
//!
//! 1. subscribes the reader to its live feed FIRST, so that nothing published from now on can
//!    slip by;
//! 2. opens a short-lived change stream right after the reader's token and reads what is there
//!    now (`next_if_any` until it says "nothing more"): the posts the reader missed;
//! 3. sends those, then the live feed, skipping the live posts the catch-up already sent (both
//!    follow the same history in the same order, so the overlap is at the start of the live
//!    feed, and the ids tell exactly which).
//!
//! The catch-up stream is closed as soon as it is read: readers share the instance's one change
//! stream, and only a reader that comes back costs one short extra read.
//!
//! One assumption: the instance's own change stream is not behind the catch-up read. It follows
//! the same history continuously, so it is at most a moment behind; were it seconds behind (a
//! MongoDB hiccup on that one stream), its first live posts could be ones the reader already had.

use std::collections::HashSet;
use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use mongodb::bson::Document;
use mongodb::change_stream::event::ChangeStreamEvent;
use mongodb::Collection;
use posts::feed::Feed;
use posts::{json_stringify, mongo, resume_id};
use sse_kit::frame::frame;

/// A reader that missed more than this many posts is told to reload the list instead.
pub const MAX_MISSED: usize = 1000;
/// How long one catch-up read waits for MongoDB to say "nothing more" (`maxAwaitTimeMS`).
const CATCH_UP_WAIT: Duration = Duration::from_millis(100);

/// `event: resync`: the reader's `Last-Event-ID` cannot be resumed from (not one of our ids,
/// too far back, or MongoDB no longer has that history): reload the list, then live posts.
pub const RESYNC: &str =
    "event: resync\ndata: {\"reason\":\"cannot resume from Last-Event-ID\"}\n\n";

/// The live feed's frame for one change event: `event: newPost`, the post as JSON, and the
/// event's resume token as `id:`. (`posts::feed::new_post_event` is the same without `id:`.)
pub fn new_post_with_id(event: &ChangeStreamEvent<Document>) -> Option<Bytes> {
    let post = event.full_document.as_ref()?;
    let id = resume_id::encode(&event.id);
    match frame(Some("newPost"), Some(&id), &json_stringify::to_json(post)) {
        Ok(written) => Some(Bytes::from(written)),
        Err(err) => {
            tracing::error!(%err, "a post that cannot be framed");
            None
        }
    }
}

/// The `id:` of a frame we wrote, if it has one.
pub fn id_of(frame: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(frame).ok()?;
    text.lines().find_map(|line| line.strip_prefix("id: "))
}

/// A reader's frames: what it missed after `last_event_id` (if it sent one), then the live feed.
pub async fn frames(
    posts: &Collection<Document>,
    feed: &Feed,
    last_event_id: Option<&str>,
) -> impl Stream<Item = Bytes> + Send + 'static {
    // 1. Live first: from this moment on, every post reaches this reader.
    let live = feed.subscribe().map(|frame: Result<Bytes, Infallible>| {
        let Ok(frame) = frame;
        frame
    });
    let missed = match last_event_id {
        None => Vec::new(),
        Some(id) => match missed_after(posts, id).await {
            Ok(missed) => missed,
            Err(why) => {
                tracing::info!(why, "a reader cannot resume: sending resync");
                vec![Bytes::from_static(RESYNC.as_bytes())]
            }
        },
    };
    // 3. The live posts the catch-up already sent are at the start of the live feed: skip them.
    let sent: HashSet<String> = missed
        .iter()
        .filter_map(|frame| id_of(frame).map(str::to_owned))
        .collect();
    let live = live.skip_while(move |frame| {
        let already_sent = id_of(frame).is_some_and(|id| sent.contains(id));
        futures::future::ready(already_sent)
    });
    futures::stream::iter(missed).chain(live)
}

/// 2. The frames of the posts after `id`, read from a change stream opened right after it.
async fn missed_after(posts: &Collection<Document>, id: &str) -> Result<Vec<Bytes>, String> {
    let token = resume_id::decode(id).ok_or("Last-Event-ID is not one of our ids")?;
    let mut history = posts
        .watch()
        .pipeline(mongo::only_inserts())
        .resume_after(token)
        .max_await_time(CATCH_UP_WAIT)
        .await
        .map_err(|err| mongo::short_reason(&err))?;
    let mut missed = Vec::new();
    // `next_if_any` asks MongoDB at most once and answers `None` when it has nothing more now.
    while let Some(event) = history
        .next_if_any()
        .await
        .map_err(|err| mongo::short_reason(&err))?
    {
        if missed.len() == MAX_MISSED {
            return Err(format!("the reader missed more than {MAX_MISSED} posts"));
        }
        missed.extend(new_post_with_id(&event));
    }
    Ok(missed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_of_a_frame() {
        assert_eq!(
            id_of(b"event: newPost\ndata: {}\nid: 82ab\n\n"),
            Some("82ab")
        );
        assert_eq!(id_of(b"event: resync\ndata: {}\n\n"), None);
        assert_eq!(id_of(b": keep-alive\n\n"), None);
    }
}
