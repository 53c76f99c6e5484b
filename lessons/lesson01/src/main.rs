//! Lesson 01: a response that stays open. The routes and the headers are in `src/lib.rs`; this
//! file is the body the notes write, and the one line that starts the server
//! (`startup::run`, read once in lessons/startup/src/lib.rs).
//!
//! Run it:   cargo run -p lesson01      then open http://127.0.0.1:3000
//! Or:       curl -N http://127.0.0.1:3000/sse

use std::convert::Infallible;

use bytes::Bytes;
use futures::stream::{self, Stream, StreamExt};

/// The body of `GET /sse`: the bytes of `데이터` once, then nothing, forever.
///
/// `stream::once` is the notes' `res.write('데이터')`. `stream::pending()` never yields and
/// never ends, so the response is never finished: the connection stays open until the client
/// goes away. (In Node the response also stays open, because the handler never calls `res.end()`.)
fn raw_body() -> impl Stream<Item = Result<Bytes, Infallible>> + Send + Sync + 'static {
    stream::once(async { Ok(Bytes::from("데이터")) }).chain(stream::pending())
}

#[tokio::main]
async fn main() {
    startup::run(lesson01::routes(raw_body)).await
}
