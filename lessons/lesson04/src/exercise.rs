//! What lesson04's exercises run around your answer: lesson04's own server (`routes`), started
//! the lesson's way (`posts::serve_feed`), with your piece in place of the lesson's.

use std::convert::Infallible;

use bytes::Bytes;
use futures::Stream;
use mongodb::bson::Document;
use posts::feed::{self, Feed, ToFrame};
use posts::{mongo, serve_feed};

/// Exercise 1: the one change stream through your `pipeline`, each change event sent as the
/// frame your `to_frame` makes of it.
pub async fn serve_ex1(pipeline: Vec<Document>, to_frame: ToFrame) {
    serve_feed::run(pipeline, to_frame, |_, feed| crate::routes(feed)).await
}

/// Exercise 2: the lesson's feed, and each `/sse` client gets the stream your `client_stream`
/// makes (with the event-stream headers).
pub async fn serve_ex2<S>(client_stream: fn(&Feed) -> S)
where
    S: Stream<Item = Result<Bytes, Infallible>> + Send + Sync + 'static,
{
    let reply = move |feed: &Feed| sse_kit::reply::event_stream(client_stream(feed));
    serve_feed::run(mongo::only_inserts(), feed::new_post_event, |_, feed| {
        crate::routes_with(feed, reply)
    })
    .await
}
