//! A post the test writes itself, and the exact `newPost` frame lesson04's mapping makes of it
//! (lessons 07 and 08 send it unchanged; lesson08 adds an `id:` line, which its tests check
//! apart). Used by the lesson tests as `mod numbered_post;`.

use mongodb::bson::{doc, oid::ObjectId, Document};

/// Post number `n` with a fixed `_id`, and its `newPost` frame (no `id:` line).
pub fn post(n: u32) -> (Document, String) {
    let id = ObjectId::new();
    let title = format!("글 {n}");
    let frame = format!(
        "event: newPost\ndata: {{\"_id\":\"{}\",\"title\":\"{title}\"}}\n\n",
        id.to_hex()
    );
    (doc! { "_id": id, "title": title }, frame)
}
