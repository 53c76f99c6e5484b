//! The answer to `GET /sse` when every slot is taken. (The event stream itself is
//! `sse_kit::reply::event_stream`, as in every lesson since 02.)
//!
//! Past `MAX_CLIENTS`, HTTP's usual answer is `503 Service Unavailable` with `Retry-After`. But a
//! browser's `EventSource` treats any status other than `200` as the end: it fires `onerror`, sets
//! `readyState` to `CLOSED` and never reconnects, so the page would stay dead until reloaded. So
//! we look at who asks:
//!
//! - an `EventSource` always sends `Accept: text/event-stream` (the HTML standard says so). It
//!   gets `200` and a stream that says `retry: 5000` and `event: busy`, then ends. A stream that
//!   ends is what makes an `EventSource` reconnect, after `retry` ms, with the `Last-Event-ID` it
//!   had (the busy answer carries no `id:`), so nothing is lost: the reader is five seconds late.
//! - anything else (`curl`, a script, a health check) gets the plain HTTP answer: `503` with
//!   `Retry-After: 5`.

use warp::http::{header, HeaderMap, HeaderValue, StatusCode};
use warp::reply::Response;

use crate::client_stream::Busy;
use crate::frames;

/// How long a client that found every slot taken should wait before it tries again.
pub const BUSY_RETRY_SECS: u64 = 5;

/// The answer when every slot is taken (see the top of this file for why there are two).
pub fn busy(busy: Busy, request: &HeaderMap) -> Response {
    if wants_event_stream(request) {
        let retry_ms = BUSY_RETRY_SECS * 1000;
        let frames = [Ok(sse_kit::frame::retry(retry_ms)), frames::busy(retry_ms)];
        // Two frames, then the end of the response: that end is what makes the browser come back.
        return sse_kit::reply::event_stream(futures::stream::iter(frames));
    }
    let body = format!(
        "all {} event streams are in use (MAX_CLIENTS); try again in {BUSY_RETRY_SECS} seconds\n",
        busy.max_clients
    );
    let mut response = Response::new(body.into());
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from(BUSY_RETRY_SECS));
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Whether `Accept` names `text/event-stream` (in any case, with or without parameters), in any
/// of its values. Read as bytes: a value that is not UTF-8 or not a list of media types simply
/// does not name it. `*/*` does not count: it is what `curl` sends.
pub fn wants_event_stream(request: &HeaderMap) -> bool {
    request.get_all(header::ACCEPT).iter().any(|value| {
        value.as_bytes().split(|&b| b == b',').any(|range| {
            let media_type = range.split(|&b| b == b';').next().unwrap_or_default();
            media_type
                .trim_ascii()
                .eq_ignore_ascii_case(b"text/event-stream")
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(values: &[&[u8]]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            let value = HeaderValue::from_bytes(value).expect("a header value");
            headers.append(header::ACCEPT, value);
        }
        headers
    }

    #[test]
    fn only_an_accept_that_names_the_event_stream_counts() {
        let yes: [&[&[u8]]; 4] = [
            &[b"text/event-stream"],
            &[b"Text/Event-Stream; q=0.9"],
            &[b"text/html, text/event-stream"],
            &[b"text/html", b"text/event-stream"],
        ];
        for values in yes {
            assert!(wants_event_stream(&accept(values)), "{values:?}");
        }
        let no: [&[&[u8]]; 6] = [
            &[],
            &[b""],
            &[b"*/*"],
            &[b"text/*"],
            &[b"text/event-streamX"],
            &[b"\xff\xfe"],
        ];
        for values in no {
            assert!(!wants_event_stream(&accept(values)), "{values:?}");
        }
    }
}
