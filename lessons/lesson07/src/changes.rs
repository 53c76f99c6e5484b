//! The one change stream, kept alive through MongoDB faults.
//!
//! Three kinds of fault, handled at three levels:
//!
//! 1. **Resumable** (a dropped connection, a primary stepping down, an error MongoDB labels
//!    `ResumableChangeStreamError`): the driver itself reopens the change stream where it stopped
//!    (`resumeAfter` the last resume token). `changes.next()` simply returns the next post: nothing
//!    lost, nothing for us to do, and no client notices.
//! 2. **Not resumable** (any other error): `changes.next()` returns `Err`. lesson04's feed
//!    (`posts::feed`) reopens from now a few times and then gives up. This task logs the error,
//!    tells every client (`event: streamError`), waits (the backoff: `REOPEN_BACKOFF_MS`,
//!    doubling up to 30 s, so a broken server is not hammered), and reopens the stream
//!    `resumeAfter` the last token it saw (`Watch::open_after`), so posts written meanwhile are
//!    still delivered. The clients stay connected the whole time.
//! 3. **The history is gone** (`ChangeStreamHistoryLost`, 286, or the older
//!    `ChangeStreamFatalError`, 280): MongoDB no longer has the changes after our last token. A
//!    real replica set says so once its oplog has moved past the token (a long outage, a busy
//!    collection); the practice server says so after a restart (it keeps history in memory).
//!    Resuming after that token can never work again, however long we wait. So the task opens a
//!    fresh stream (from now) and, once it is open, sends every client `event: resync`: some
//!    posts were never delivered, reload the list (`GET /posts`) to get them. The order matters:
//!    every post is then either in the reloaded list or sent as `newPost` afterwards.

use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::StreamExt;
use mongodb::error::{Error, ErrorKind};
use posts::feed::new_post_event;
use posts::mongo::{short_reason, PostChanges, Watch};

use crate::clients::Clients;
use crate::frames;

/// The longest wait between two attempts to reopen.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Reads `changes` (opened from `watch`) forever: each insert is published to every client as
/// `event: newPost`; a failure is reported and the stream reopened from `watch` after a backoff.
/// Never returns.
pub async fn follow(
    watch: Watch,
    mut changes: PostChanges,
    clients: Clients,
    first_backoff: Duration,
) {
    let mut backoff = first_backoff;
    loop {
        // Read until the stream fails (a resumable fault never shows up here).
        let (mut failure, lost) = loop {
            match changes.next().await {
                Some(Ok(event)) => {
                    backoff = first_backoff; // healthy again
                    if let Some(frame) = new_post_event(&event) {
                        clients.publish(frame);
                    }
                }
                Some(Err(err)) => {
                    break (
                        format!("the change stream failed: {}", short_reason(&err)),
                        history_lost(&err),
                    )
                }
                None => {
                    break (
                        "the change stream ended (was the collection dropped?)".to_owned(),
                        false,
                    )
                }
            }
        };
        // Where the new stream starts: right after the last change we saw, or, when MongoDB no
        // longer has what came after it, from now.
        let mut resume_from = if lost { None } else { changes.resume_token() };
        let mut posts_missed = lost;

        // Report, then reopen with backoff until it works.
        loop {
            clients
                .stats()
                .change_stream_errors
                .fetch_add(1, Ordering::Relaxed);
            tracing::error!(
                reason = failure.as_str(),
                retry_in_ms = backoff.as_millis() as u64,
                "reopening the change stream after a backoff"
            );
            clients.publish(frames::change_stream_error());
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
            let mut reopened = watch.open_after(resume_from.clone()).await;
            if let Err(err) = &reopened {
                if resume_from.is_some() && history_lost(err) {
                    // Waiting will not bring the history back: start from now, at once.
                    tracing::warn!(
                        err = short_reason(err),
                        "MongoDB no longer has the changes after our last resume token: \
                         opening a fresh change stream; every client gets `event: resync`"
                    );
                    resume_from = None;
                    posts_missed = true;
                    reopened = watch.open_after(None).await;
                }
            }
            match reopened {
                Ok(reopened) => {
                    clients
                        .stats()
                        .change_stream_reopens
                        .fetch_add(1, Ordering::Relaxed);
                    changes = reopened;
                    if posts_missed {
                        clients
                            .stats()
                            .change_stream_resyncs
                            .fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(
                            "a fresh change stream is open: posts written before it may be \
                             missing, every client was told to reload the list (`event: resync`)"
                        );
                        clients.publish(frames::history_lost());
                    } else {
                        tracing::info!("the change stream is open again");
                    }
                    break;
                }
                Err(err) => {
                    failure = format!("could not reopen the change stream: {}", short_reason(&err))
                }
            }
        }
    }
}

/// True when MongoDB says that the history needed to resume is gone: `ChangeStreamHistoryLost`
/// (286), or `ChangeStreamFatalError` (280), which older servers answer for the same reason.
fn history_lost(err: &Error) -> bool {
    matches!(&*err.kind, ErrorKind::Command(command) if matches!(command.code, 280 | 286))
}
