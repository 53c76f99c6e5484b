//! The frames lesson06 writes, by hand, with the space after each colon (as in lessons 02 and 04).
//!
//! | frame | when | bytes |
//! |---|---|---|
//! | [`retry`] | first, on every connection | `retry: 1000\n\n` |
//! | [`position`] | a new client, before any post | `id: <token>\n\n` |
//! | [`new_post`] | each post | `event: newPost\ndata: <JSON>\nid: <token>\n\n` |
//! | [`resync`] | `Last-Event-ID` unusable | `event: resync\ndata: {"reason":"bad-id"}\nid: <token>\n\n` |
//! | [`idle_end`] | last, after 60 s without a frame | `: no post for 60 s; reconnect to carry on\n\n` |
//! | [`busy`] | the whole answer, when every slot is taken | `retry: 5000\n\nevent: busy\ndata: {"retry_ms":5000}\n\n` |
//!
//! A frame with only `id:` dispatches no event (it has no `data`), yet the browser still takes its
//! id as `lastEventId`: that is how a client that has seen no post yet still knows where it was.

use std::fmt;
use std::time::Duration;

use mongodb::bson::Document;

/// An `id` line would be broken by CR or LF (they end the line early) and browsers ignore an id
/// with NUL in it. Our ids are hex, so this never happens; we check anyway, as lesson02 does,
/// rather than ever write a frame that a browser would read differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadId;

impl fmt::Display for BadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an id must not contain CR, LF or NUL")
    }
}

impl std::error::Error for BadId {}

fn id_line(id: &str) -> Result<String, BadId> {
    if id.contains(['\r', '\n', '\0']) {
        return Err(BadId);
    }
    Ok(format!("id: {id}\n"))
}

/// `retry: <ms>`: how long the browser waits before it reconnects after the stream ends.
pub fn retry(ms: u64) -> String {
    format!("retry: {ms}\n\n")
}

/// Only an id: where this client is, so that a reconnect resumes from here.
pub fn position(id: &str) -> Result<String, BadId> {
    Ok(format!("{}\n", id_line(id)?))
}

/// A post, as lesson04 sends it, now with the event's id.
pub fn new_post(post: &Document, id: &str) -> Result<String, BadId> {
    // JSON escapes every line break, so the whole document is one `data:` line.
    let json = lesson04::node_json::to_json(post);
    Ok(format!("event: newPost\ndata: {json}\n{}\n", id_line(id)?))
}

/// "What you had cannot be resumed: reload your list." `reason` is `bad-id` or `history-lost`.
pub fn resync(reason: &str, id: &str) -> Result<String, BadId> {
    let data = serde_json::json!({ "reason": reason });
    Ok(format!("event: resync\ndata: {data}\n{}\n", id_line(id)?))
}

/// A comment (ignored by the browser) before an idle response ends, for a human with `curl`.
pub fn idle_end(idle_timeout: Duration) -> String {
    let time = if idle_timeout.subsec_millis() == 0 {
        format!("{} s", idle_timeout.as_secs())
    } else {
        format!("{} ms", idle_timeout.as_millis())
    };
    format!(": no post for {time}; reconnect to carry on\n\n")
}

/// The whole answer to a client that finds every slot taken: come back in `retry_ms`. No `id:`,
/// so the browser keeps the `Last-Event-ID` it had and resumes from there when it comes back.
pub fn busy(retry_ms: u64) -> String {
    format!(
        "{}event: busy\ndata: {{\"retry_ms\":{retry_ms}}}\n\n",
        retry(retry_ms)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::doc;

    #[test]
    fn frames_byte_for_byte() {
        assert_eq!(retry(1000), "retry: 1000\n\n");
        assert_eq!(position("82AB").unwrap(), "id: 82AB\n\n");
        assert_eq!(
            new_post(&doc! { "title": "첫 글" }, "82AB").unwrap(),
            "event: newPost\ndata: {\"title\":\"첫 글\"}\nid: 82AB\n\n"
        );
        assert_eq!(
            resync("history-lost", "82AB").unwrap(),
            "event: resync\ndata: {\"reason\":\"history-lost\"}\nid: 82AB\n\n"
        );
        assert_eq!(
            idle_end(Duration::from_secs(60)),
            ": no post for 60 s; reconnect to carry on\n\n"
        );
        assert_eq!(
            idle_end(Duration::from_millis(1500)),
            ": no post for 1500 ms; reconnect to carry on\n\n"
        );
        assert_eq!(
            busy(5000),
            "retry: 5000\n\nevent: busy\ndata: {\"retry_ms\":5000}\n\n"
        );
    }

    #[test]
    fn an_id_that_would_break_the_frame_is_refused() {
        for id in ["a\nevent: x", "a\rb", "a\0b"] {
            assert_eq!(position(id), Err(BadId));
            assert_eq!(new_post(&doc! {}, id), Err(BadId));
        }
    }
}
