//! The frames this lesson adds to lesson04's, in one place, and their exact bytes (the tests
//! below). The posts themselves, `event: newPost`, are lesson04's (`posts::feed::new_post_event`).
//!
//! The events that carry a reason are written with `sse_kit::frame` (lesson02's validated frame)
//! and their data with `serde_json`, so a reason with quotes or line breaks is still one valid
//! frame. `retry:` is `sse_kit::frame::retry`; the keep-alive comment is a constant, sent often,
//! so it is written once, as bytes.

use bytes::Bytes;
use sse_kit::frame::{self, frame};

/// How long a browser waits before reconnecting after the stream ends normally. Sent first.
pub const RETRY_MS: u64 = 3000;

/// The first frame of every stream: `retry: 3000`. It sets the browser's reconnection delay and
/// dispatches nothing.
pub fn retry() -> Bytes {
    Bytes::from(frame::retry(RETRY_MS))
}

/// A comment: a line starting with `:`. `EventSource` ignores it completely, but proxies and load
/// balancers see bytes flowing and keep the connection open.
pub fn keep_alive() -> Bytes {
    Bytes::from_static(b": keep-alive\n\n")
}

/// `event: <name>` with `{"reason":<reason>}` as its data. `name` is one of the fixed names
/// below, never a line break in it, so `frame` cannot refuse it.
pub fn with_reason(name: &str, reason: &str) -> Bytes {
    let data = serde_json::json!({ "reason": reason }).to_string();
    match frame(Some(name), None, &data) {
        Ok(written) => Bytes::from(written),
        Err(err) => panic!("event name {name:?}: {err}"),
    }
}

/// The last frame when the server shuts down. The stream ends right after it; the browser
/// reconnects after `retry` (to the restarted server, or another instance).
pub fn shutdown() -> Bytes {
    with_reason("shutdown", "server shutting down")
}

/// The last frame for a client that fell `CLIENT_BUFFER` frames behind and was dropped: some
/// posts were not delivered, so the page must reload its list. The stream ends after it.
pub fn too_slow() -> Bytes {
    with_reason(
        "resync",
        "too slow: some posts were not delivered, reload the list",
    )
}

/// Sent to every client once a fresh change stream is open after MongoDB lost the history after
/// our last resume token (`changes.rs`): posts written in between were never delivered. The stream
/// stays open; the page reloads its list (`GET /posts`) and keeps listening.
pub fn history_lost() -> Bytes {
    with_reason(
        "resync",
        "the change stream lost its place: some posts were not delivered, reload the list",
    )
}

/// Sent to every client when the change stream failed in a way the driver cannot resume from.
/// The stream stays open: the server reopens the change stream where it stopped.
pub fn change_stream_error() -> Bytes {
    with_reason("streamError", "the change stream failed; reopening it")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_frame_byte_for_byte() {
        let cases = [
            (retry(), "retry: 3000\n\n"),
            (keep_alive(), ": keep-alive\n\n"),
            (
                shutdown(),
                "event: shutdown\ndata: {\"reason\":\"server shutting down\"}\n\n",
            ),
            (
                too_slow(),
                "event: resync\ndata: {\"reason\":\"too slow: some posts were not delivered, reload the list\"}\n\n",
            ),
            (
                history_lost(),
                "event: resync\ndata: {\"reason\":\"the change stream lost its place: some posts were not delivered, reload the list\"}\n\n",
            ),
            (
                change_stream_error(),
                "event: streamError\ndata: {\"reason\":\"the change stream failed; reopening it\"}\n\n",
            ),
        ];
        for (frame, want) in cases {
            assert_eq!(frame, want.as_bytes());
        }
    }

    #[test]
    fn a_reason_with_quotes_and_line_breaks_stays_one_data_line() {
        assert_eq!(
            with_reason("shutdown", "배포 \"v2\"\r\n끝"),
            "event: shutdown\ndata: {\"reason\":\"배포 \\\"v2\\\"\\r\\n끝\"}\n\n".as_bytes()
        );
    }
}
