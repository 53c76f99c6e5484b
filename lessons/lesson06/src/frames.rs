//! The frames lesson06 sends, made with sse-kit's frame functions (lesson02's rules: one space
//! after each colon, ids and names refused when they hold a line break).
//!
//! | frame | when | bytes |
//! |---|---|---|
//! | `sse_kit::frame::retry` | first, on every connection | `retry: 1000\n\n` |
//! | `sse_kit::frame::id_only` | a new client, before any post | `id: <token>\n\n` |
//! | [`new_post`] | each post | `event: newPost\ndata: <JSON>\nid: <token>\n\n` |
//! | [`resync`] | `Last-Event-ID` unusable | `event: resync\ndata: {"reason":"bad-id"}\nid: <token>\n\n` |
//! | [`idle_end`] | last, after 60 s without a frame | `: no post for 60 s; reconnect to carry on\n\n` |
//! | [`busy`] | after `retry: 5000`, when every slot is taken | `event: busy\ndata: {"retry_ms":5000}\n\n` |
//!
//! A frame with only `id:` dispatches no event (it has no `data`), yet the browser still takes its
//! id as `lastEventId`: that is how a client that has seen no post yet still knows where it was.
//! The ids are resume tokens (`posts::resume_id`): hex, so they never hold what `id:` refuses.

use std::time::Duration;

use mongodb::bson::Document;
use posts::json_stringify;
use sse_kit::frame::{comment, frame, FrameError};

/// A post, as lesson04 sends it, now with its change event's id.
pub fn new_post(post: &Document, id: &str) -> Result<String, FrameError> {
    frame(Some("newPost"), Some(id), &json_stringify::to_json(post))
}

/// "What you had cannot be resumed: reload your list." `reason` is `bad-id` or `history-lost`;
/// `id` is the new stream's position.
pub fn resync(reason: &str, id: &str) -> Result<String, FrameError> {
    let data = serde_json::json!({ "reason": reason });
    frame(Some("resync"), Some(id), &data.to_string())
}

/// A comment (ignored by the browser) before an idle response ends, for a human with `curl`.
pub fn idle_end(idle_timeout: Duration) -> Result<String, FrameError> {
    let time = if idle_timeout.subsec_millis() == 0 {
        format!("{} s", idle_timeout.as_secs())
    } else {
        format!("{} ms", idle_timeout.as_millis())
    };
    comment(&format!("no post for {time}; reconnect to carry on"))
}

/// The event a client gets, after `retry: <retry_ms>`, when every slot is taken. No `id:`, so
/// the browser keeps the `Last-Event-ID` it had and resumes from there when it comes back.
pub fn busy(retry_ms: u64) -> Result<String, FrameError> {
    let data = serde_json::json!({ "retry_ms": retry_ms });
    frame(Some("busy"), None, &data.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::doc;

    #[test]
    fn frames_byte_for_byte() {
        assert_eq!(
            new_post(&doc! { "title": "첫 글" }, "82AB").unwrap(),
            "event: newPost\ndata: {\"title\":\"첫 글\"}\nid: 82AB\n\n"
        );
        assert_eq!(
            resync("history-lost", "82AB").unwrap(),
            "event: resync\ndata: {\"reason\":\"history-lost\"}\nid: 82AB\n\n"
        );
        assert_eq!(
            idle_end(Duration::from_secs(60)).unwrap(),
            ": no post for 60 s; reconnect to carry on\n\n"
        );
        assert_eq!(
            idle_end(Duration::from_millis(1500)).unwrap(),
            ": no post for 1500 ms; reconnect to carry on\n\n"
        );
        assert_eq!(
            busy(5000).unwrap(),
            "event: busy\ndata: {\"retry_ms\":5000}\n\n"
        );
    }

    #[test]
    fn an_id_that_would_break_the_frame_is_refused() {
        for id in ["a\nevent: x", "a\rb", "a\0b"] {
            assert_eq!(new_post(&doc! {}, id), Err(FrameError::BadCharacterInId));
            assert_eq!(resync("bad-id", id), Err(FrameError::BadCharacterInId));
        }
    }
}
