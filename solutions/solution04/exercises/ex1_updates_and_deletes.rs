//! Lesson 04, exercise 1: also send updates and deletes.
//!
//! Task: the change stream below reports inserts only, like the notes'. Change `pipeline()` so that
//! it lets `insert`, `update` and `delete` events through (one `$match` stage with `$in`), and
//! `to_frame()` so that each kind has its own event:
//!
//!     insert:  event: newPost      data: <the whole post>                   (as in the lesson)
//!     update:  event: postUpdated  data: {"_id":"<id>", <each field that was set>}
//!     delete:  event: postDeleted  data: {"_id":"<id>"}
//!
//! After `update_one({_id}, {$set: {title: "b"}})` a client gets
//! `event: postUpdated\ndata: {"_id":"65a000000000000000000001","title":"b"}\n\n`.
//!
//! Run it:    cargo run -p practice-mongo      and      cargo run -p lesson04 --bin lesson04-ex1
//! Check it:  cargo tutor check 4

#[path = "../../../lessons/lesson04/src/serve.rs"]
mod serve;

use bytes::Bytes;
use lesson04::feed::Feed;
use lesson04::{mongo, node_json};
use mongodb::bson::{doc, Document};
use mongodb::change_stream::event::{ChangeStreamEvent, OperationType};
use warp::Filter;

/// `event: <name>` and the document as one line of JSON: every frame of this exercise.
fn frame(name: &str, data: &Document) -> Bytes {
    Bytes::from(format!(
        "event: {name}\ndata: {}\n\n",
        node_json::to_json(data)
    ))
}

// ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
/// The change stream's pipeline.
fn pipeline() -> Vec<Document> {
    let kinds = ["insert", "update", "delete"];
    vec![doc! { "$match": { "operationType": { "$in": kinds.to_vec() } } }]
}

/// The frame for one change event, or `None` to send nothing.
/// (`event.document_key` is `{_id: ...}`; `event.update_description` has `updated_fields`.)
fn to_frame(event: &ChangeStreamEvent<Document>) -> Option<Bytes> {
    match event.operation_type {
        OperationType::Insert => event
            .full_document
            .as_ref()
            .map(|post| frame("newPost", post)),
        OperationType::Update => {
            let mut data = event.document_key.clone()?;
            data.extend(event.update_description.as_ref()?.updated_fields.clone());
            Some(frame("postUpdated", &data))
        }
        OperationType::Delete => event
            .document_key
            .as_ref()
            .map(|key| frame("postDeleted", key)),
        _ => None,
    }
}
// ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────

#[tokio::main]
async fn main() {
    serve::init_logs();
    let uri = std::env::var("MONGODB_URI").unwrap_or_else(|_| mongo::DEFAULT_URI.to_owned());
    let opened = async {
        let posts = mongo::connect(&uri).await?;
        Feed::open_with(mongo::Watch::new(&posts, pipeline()), to_frame).await
    };
    let (feed, feed_task) = match opened.await {
        Ok(opened) => opened,
        Err(err) => serve::exit(err.exit_code(), &err.to_string()),
    };
    let sse = warp::path!("sse")
        .and(warp::get())
        .map(move || feed.sse_reply());

    tokio::select! {
        () = serve::run(sse) => {}
        stopped = feed_task => {
            let reason = stopped.unwrap_or_else(|err| format!("the change stream task failed: {err}"));
            serve::exit(1, &reason);
        }
    }
}
