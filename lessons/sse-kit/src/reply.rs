//! The event-stream response: lesson01's status and three headers, and a stream of frames as the
//! body, each frame written to the socket as soon as the stream yields it.
//!
//! lesson01 writes these headers by hand, one `with_header` each (that is its idea); from
//! lesson02 on, a lesson calls [`event_stream`] instead of writing them again.

use bytes::Bytes;
use futures::Stream;
use warp::http::{header, HeaderValue};
use warp::reply::{Reply, Response};

/// `200`, the event-stream headers, and `frames` as the body, sent as they come.
///
/// - `Content-Type: text/event-stream` is what makes a browser's `EventSource` read the body
///   as events (without it, it gives up);
/// - `Cache-Control: no-cache`: a cache must not keep or replay a live stream;
/// - `Connection: keep-alive`: the notes send it; HTTP/1.1 keeps connections open anyway.
///
/// There is no `Content-Length` (the length is unknown), so hyper sends the body chunked.
///
/// A frame is anything that turns into bytes (`String`, `Bytes`, `&'static str`). An `Err` from
/// the stream ends the response there: lesson02's frames are `Result<String, FrameError>`, and a
/// refused frame is never written.
pub fn event_stream<S, B, E>(frames: S) -> Response
where
    S: Stream<Item = Result<B, E>> + Send + Sync + 'static,
    B: Into<Bytes>,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    let mut response = warp::reply::stream(frames).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
    response
}
