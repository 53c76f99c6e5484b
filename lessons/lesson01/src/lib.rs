//! Lesson 01: a response that stays open.
//!
//! The notes ([SSE만들기] 서버사이드) answer `GET /sse` with `res.writeHead(200, {...})` and then
//! `res.write('데이터')`. In Rust with warp, the response body is a *stream* of byte chunks:
//! every item the stream yields is written to the socket straight away, and as long as the stream
//! has not ended, the response stays open. That is all "keep-alive" means here.
//!
//! This file holds the routes and the notes' `writeHead` ([`sse_reply`]); the body is a
//! parameter, so that `src/main.rs` (the notes' `res.write('데이터')`) and each exercise (your
//! body) share them.

pub mod exercise;

use std::convert::Infallible;

use bytes::Bytes;
use futures::Stream;
use warp::http::header;
use warp::{Filter, Rejection, Reply};

/// The page that shows a `fetch()` reader and an `EventSource` side by side.
const PAGE: &str = include_str!("../../../assets/lesson01.html");

/// `GET /sse`: the notes' `writeHead(200, {...})` followed by `body`.
///
/// `warp::reply::stream` answers 200 with our stream as the body; each `with_header` is one line
/// of the notes' header object, so every header the client receives is visible here. (Later
/// lessons call `sse_kit::reply::event_stream`, which writes the same three.)
pub fn sse_reply<S>(body: S) -> impl Reply
where
    S: Stream<Item = Result<Bytes, Infallible>> + Send + Sync + 'static,
{
    let reply = warp::reply::stream(body);
    let reply = warp::reply::with_header(reply, header::CONTENT_TYPE, "text/event-stream");
    let reply = warp::reply::with_header(reply, header::CACHE_CONTROL, "no-cache");
    // HTTP/1.1 keeps connections open by default, so this header changes nothing for hyper;
    // we send it because the notes do, and the test checks that it arrives.
    // There is no Content-Length: the length is unknown, so hyper sends the body chunked.
    warp::reply::with_header(reply, header::CONNECTION, "keep-alive")
}

/// `GET /` (the page), `GET /style.css`, and `GET /sse`, whose body `body()` makes anew for
/// each client.
pub fn routes<F, S>(body: F) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone
where
    F: Fn() -> S + Clone + Send + Sync + 'static,
    S: Stream<Item = Result<Bytes, Infallible>> + Send + Sync + 'static,
{
    let sse = warp::path!("sse").map(move || {
        tracing::info!("a client opened /sse");
        sse_reply(body())
    });
    warp::get().and(sse_kit::page::page(PAGE).or(sse))
}
