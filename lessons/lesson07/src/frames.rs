//! Every frame this lesson writes on an event stream, in one place, byte for byte.
//! (`event: newPost` itself is lesson04's `feed::new_post_frame`.)

use bytes::Bytes;

/// How long a browser waits before reconnecting after the stream ends normally. Sent first.
pub const RETRY_MS: u64 = 3000;

/// The first frame of every stream: `retry: 3000`. It sets the browser's reconnection delay and
/// dispatches nothing.
pub fn retry() -> Bytes {
    Bytes::from(format!("retry: {RETRY_MS}\n\n"))
}

/// A comment: a line starting with `:`. `EventSource` ignores it completely, but proxies and load
/// balancers see bytes flowing and keep the connection open.
pub fn keep_alive() -> Bytes {
    Bytes::from_static(b": keep-alive\n\n")
}

/// The last frame when the server shuts down. The stream ends right after it; the browser
/// reconnects after `retry` (to the restarted server, or another instance).
pub fn shutdown() -> Bytes {
    Bytes::from_static(b"event: shutdown\ndata: {\"reason\":\"server shutting down\"}\n\n")
}

/// The last frame for a client that fell `CLIENT_BUFFER` frames behind and was dropped: some
/// posts were not delivered, so the page must reload its list. The stream ends after it.
pub fn too_slow() -> Bytes {
    Bytes::from_static(b"event: resync\ndata: {\"reason\":\"too slow: some posts were not delivered, reload the list\"}\n\n")
}

/// Sent to every client once a fresh change stream is open after MongoDB lost the history after
/// our last resume token (`changes.rs`): posts written in between were never delivered. The stream
/// stays open; the page reloads its list (`GET /posts`) and keeps listening.
pub fn history_lost() -> Bytes {
    Bytes::from_static(b"event: resync\ndata: {\"reason\":\"the change stream lost its place: some posts were not delivered, reload the list\"}\n\n")
}

/// Sent to every client when the change stream failed in a way the driver cannot resume from.
/// The stream stays open: the server reopens the change stream where it stopped.
pub fn change_stream_error() -> Bytes {
    Bytes::from_static(
        b"event: streamError\ndata: {\"reason\":\"the change stream failed; reopening it\"}\n\n",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_frame_ends_with_a_blank_line_and_has_no_carriage_return() {
        for frame in [
            retry(),
            keep_alive(),
            shutdown(),
            too_slow(),
            history_lost(),
            change_stream_error(),
        ] {
            assert!(frame.ends_with(b"\n\n"), "{frame:?}");
            assert_eq!(frame.iter().filter(|b| **b == b'\r').count(), 0);
            // Exactly one blank line: one frame, not two.
            assert_eq!(frame.windows(2).filter(|w| w == b"\n\n").count(), 1);
        }
    }
}
