//! Lesson 01: a response that stays open.
//!
//! The notes ([SSE만들기] 서버사이드) answer `GET /sse` with `res.writeHead(200, {...})` and then
//! `res.write('데이터')`. In Rust with warp, the response body is a *stream* of byte chunks:
//! every item the stream yields is written to the socket straight away, and as long as the stream
//! has not ended, the response stays open. That is all "keep-alive" means here.
//!
//! Run it:   cargo run -p lesson01      then open http://127.0.0.1:3000
//! Or:       curl -N http://127.0.0.1:3000/sse

mod serve;

use std::convert::Infallible;

use bytes::Bytes;
use futures::stream::{self, Stream, StreamExt};
use warp::http::header;
use warp::Filter;

/// The page that shows a `fetch()` reader and an `EventSource` side by side.
const PAGE: &str = include_str!("../../../assets/lesson01.html");
/// The look shared by every lesson's page.
const STYLE: &str = include_str!("../../../assets/style.css");

/// The body of `GET /sse`: the bytes of `데이터` once, then nothing, forever.
///
/// `stream::once` is the notes' `res.write('데이터')`. `stream::pending()` never yields and
/// never ends, so the response is never finished: the connection stays open until the client
/// goes away. (In Node the response also stays open, because the handler never calls `res.end()`.)
fn raw_body() -> impl Stream<Item = Result<Bytes, Infallible>> + Send + Sync + 'static {
    stream::once(async { Ok(Bytes::from("데이터")) }).chain(stream::pending())
}

/// `GET /sse`: the notes' `writeHead(200, {...})` followed by the raw body.
///
/// `warp::reply::stream` answers 200 with our stream as the body; each `with_header` is one line
/// of the notes' header object, so every header the client receives is visible here.
fn sse_reply() -> impl warp::Reply {
    let reply = warp::reply::stream(raw_body());
    let reply = warp::reply::with_header(reply, header::CONTENT_TYPE, "text/event-stream");
    let reply = warp::reply::with_header(reply, header::CACHE_CONTROL, "no-cache");
    // HTTP/1.1 keeps connections open by default, so this header changes nothing for hyper;
    // we send it because the notes do, and the test checks that it arrives.
    // There is no Content-Length: the length is unknown, so hyper sends the body chunked.
    warp::reply::with_header(reply, header::CONNECTION, "keep-alive")
}

fn routes() -> impl Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone {
    let page = warp::path::end().map(|| warp::reply::html(PAGE));
    let style = warp::path!("style.css")
        .map(|| warp::reply::with_header(STYLE, header::CONTENT_TYPE, "text/css; charset=utf-8"));
    let sse = warp::path!("sse").map(|| {
        tracing::info!("a client opened /sse: writing 데이터, keeping the response open");
        sse_reply()
    });
    warp::get().and(page.or(style).or(sse))
}

#[tokio::main]
async fn main() {
    serve::init_logs();
    serve::run(routes()).await;
}
