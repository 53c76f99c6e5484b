//! The steps of a check, named for what they expect (`expect::status`, `expect::frame`, ...): each
//! waits only briefly and never panics on a wrong answer; it returns a [`Mismatch`] that shows the
//! expected and the received bytes.
//!
//! The harness's own reads give up only after `harness::DEADLINE` (10 s) and then panic. Here each
//! read is wrapped in a shorter `tokio::time::timeout`, so a wrong program is reported after a few
//! seconds, as a mismatch, with everything that did arrive.

use std::time::Duration;

use harness::{Lesson, Response};
use tokio::time::timeout;

use crate::Mismatch;

/// How long one step may wait: for the response head, a frame, or the end of the body. A right
/// answer arrives in milliseconds; this is only how long a wrong one is given.
pub const STEP: Duration = Duration::from_secs(3);

/// Bytes as a quoted string with `\r`, `\n` and other control characters written out.
pub fn quoted(bytes: &[u8]) -> String {
    format!("\"{}\"", harness::show(bytes))
}

/// `GET path`, waiting at most [`STEP`] for the status line and the headers.
pub async fn get(lesson: &Lesson, path: &str) -> Result<Response, Mismatch> {
    timeout(STEP, lesson.get(path)).await.map_err(|_| {
        Mismatch::new(
            &format!("GET {path}"),
            "a status line and headers",
            &format!("nothing within {STEP:?}"),
        )
    })
}

/// The whole status line, e.g. `HTTP/1.1 200 OK`.
pub fn status(response: &Response, step: &str, want: &str) -> Result<(), Mismatch> {
    if response.status_line == want {
        Ok(())
    } else {
        Err(Mismatch::new(
            &format!("{step}: the status line"),
            want,
            &response.status_line,
        ))
    }
}

/// Header `name` has exactly the value `want`.
pub fn header(response: &Response, step: &str, name: &str, want: &str) -> Result<(), Mismatch> {
    match response.header(name) {
        Some(value) if value == want => Ok(()),
        Some(value) => Err(Mismatch::new(
            &format!("{step}: the {name} header"),
            want,
            value,
        )),
        None => Err(Mismatch::new(
            &format!("{step}: the {name} header"),
            want,
            "no such header",
        )),
    }
}

/// The next SSE frame (everything up to and including the next blank line) is exactly `want`.
pub async fn frame(
    response: &mut Response,
    step: &str,
    want: &str,
    within: Duration,
) -> Result<(), Mismatch> {
    match timeout(within, response.next_frame()).await {
        Ok(frame) if frame == want => Ok(()),
        Ok(frame) => Err(Mismatch::new(
            step,
            &quoted(want.as_bytes()),
            &quoted(frame.as_bytes()),
        )),
        Err(_) => Err(Mismatch::new(
            step,
            &quoted(want.as_bytes()),
            &format!(
                "no complete frame (no blank line) within {within:?}; the body so far: {}",
                quoted(response.body_so_far())
            ),
        )),
    }
}

/// The next body bytes are exactly `want`.
pub async fn bytes(
    response: &mut Response,
    step: &str,
    want: &[u8],
    within: Duration,
) -> Result<(), Mismatch> {
    match timeout(within, response.read_exact_within(want.len(), within * 2)).await {
        Ok(got) if got == want => Ok(()),
        Ok(got) => Err(Mismatch::new(step, &quoted(want), &quoted(&got))),
        Err(_) => Err(Mismatch::new(
            step,
            &quoted(want),
            &format!(
                "not all of it within {within:?}; the body so far: {}",
                quoted(response.body_so_far())
            ),
        )),
    }
}

/// The server ends the response (the last chunk) within `within`, with no more bytes before it.
pub async fn end(response: &mut Response, step: &str, within: Duration) -> Result<(), Mismatch> {
    match timeout(within, response.read_to_end()).await {
        Ok(rest) if rest.is_empty() => Ok(()),
        Ok(rest) => Err(Mismatch::new(
            step,
            "the end of the response",
            &format!("more bytes first: {}", quoted(&rest)),
        )),
        Err(_) => Err(Mismatch::new(
            step,
            "the end of the response",
            &format!(
                "the response was still open after {within:?}; the body so far: {}",
                quoted(response.body_so_far())
            ),
        )),
    }
}

/// Nothing more arrives during `window` and the response stays open. This is an observation
/// window, not synchronisation: showing that something does *not* happen needs a stretch of time
/// in which it could have.
pub async fn quiet(response: &mut Response, step: &str, window: Duration) -> Result<(), Mismatch> {
    match timeout(window, response.read_exact_within(1, window * 2)).await {
        Err(_) => Ok(()),
        Ok(_) => Err(Mismatch::new(
            step,
            &format!("nothing more for {window:?}, the response still open"),
            &format!(
                "more bytes; the body so far: {}",
                quoted(response.body_so_far())
            ),
        )),
    }
}

/// The events a browser's `EventSource` would dispatch from everything received so far.
pub fn events_so_far(response: &Response) -> Vec<harness::sse::Dispatched> {
    harness::sse::parse(response.body_so_far()).0
}
