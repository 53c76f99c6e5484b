//! The one change stream, kept alive through MongoDB faults.
//!
//! Two kinds of fault, handled at two levels:
//!
//! 1. **Resumable** (a dropped connection, a primary stepping down, an error MongoDB labels
//!    `ResumableChangeStreamError`): the driver itself reopens the change stream where it stopped
//!    (`resumeAfter` the last resume token). `changes.next()` simply returns the next post: nothing
//!    lost, nothing for us to do, and no client notices.
//! 2. **Not resumable** (any other error): `changes.next()` returns `Err`. lesson04 stopped the
//!    server here. This task instead logs the error, tells every client (`event: error`), waits
//!    (the backoff: `REOPEN_BACKOFF_MS`, doubling up to 30 s, so a broken server is not hammered),
//!    and reopens the stream `resumeAfter` the last token it saw, so posts written meanwhile are
//!    still delivered. The clients stay connected the whole time.

use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::StreamExt;
use lesson04::feed::new_post_frame;
use lesson04::mongo::PostChanges;
use mongodb::bson::{doc, Document};
use mongodb::change_stream::event::ResumeToken;
use mongodb::Collection;

use crate::clients::Clients;
use crate::frames;

/// The longest wait between two attempts to reopen.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Reads `changes` forever: each insert is published to every client; a failure is reported
/// and the stream reopened after a backoff. Never returns.
pub async fn follow(
    posts: Collection<Document>,
    mut changes: PostChanges,
    clients: Clients,
    first_backoff: Duration,
) {
    let mut backoff = first_backoff;
    loop {
        // Read until the stream fails (a resumable fault never shows up here).
        let mut failure = loop {
            match changes.next().await {
                Some(Ok(event)) => {
                    backoff = first_backoff; // healthy again
                    match event.full_document {
                        Some(post) => clients.publish(new_post_frame(&post)),
                        None => tracing::warn!(
                            ?event.operation_type,
                            "a change event without fullDocument"
                        ),
                    }
                }
                Some(Err(err)) => break format!("the change stream failed: {err}"),
                None => break "the change stream ended (was the collection dropped?)".to_owned(),
            }
        };
        let resume_from = changes.resume_token();

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
            match reopen(&posts, resume_from.clone()).await {
                Ok(reopened) => {
                    clients
                        .stats()
                        .change_stream_reopens
                        .fetch_add(1, Ordering::Relaxed);
                    tracing::info!("the change stream is open again");
                    changes = reopened;
                    break;
                }
                Err(err) => failure = format!("could not reopen the change stream: {err}"),
            }
        }
    }
}

/// Opens the change stream again, with lesson04's pipeline, after `resume_from` when we have it.
async fn reopen(
    posts: &Collection<Document>,
    resume_from: Option<ResumeToken>,
) -> mongodb::error::Result<PostChanges> {
    let only_inserts = doc! { "$match": { "operationType": "insert" } };
    posts
        .watch()
        .pipeline([only_inserts])
        .resume_after(resume_from)
        .await
}
