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
//! `frame(name, document)` writes `event: <name>` and the document as one line of JSON.
//!
//! Run it:    cargo run -p practice-mongo      and      cargo run -p lesson04 --bin lesson04-ex1
//! Check it:  cargo tutor check 4

use bytes::Bytes;
use mongodb::bson::{doc, Document};
use mongodb::change_stream::event::{ChangeStreamEvent, OperationType};
use posts::feed::json_frame as frame;

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
    lesson04::exercise::serve_ex1(pipeline(), to_frame).await
}
