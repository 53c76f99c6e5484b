//! The routes of one instance, run several times behind a proxy: lesson05's app with lesson07's
//! stream head and keep-alive, and the resume token as `id:`.
//!
//! Every use of lesson07 is in this file. From lesson07 come the frames (`retry: 3000`, the
//! `: keep-alive` comment) and the headers it teaches for proxies; lesson08 adds the instance's
//! name and the resume token as `id:` (`catch_up.rs`).
//!
//! | route | answer |
//! |---|---|
//! | `GET /` | the page (`?streams=8` opens 8 event streams at once, see README) |
//! | `GET /sse` | `retry: 3000`, what the reader missed after `Last-Event-ID`, then live posts |
//! | `GET /posts`, `POST /posts` | as in lesson05 |
//! | `GET /stats` | this instance's name, readers, change streams (always 1) and posts |
//!
//! Every response carries `X-Instance: <name>`.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use lesson07::frames;
use mongodb::bson::Document;
use mongodb::Collection;
use posts::feed::Feed;
use warp::http::{HeaderMap, HeaderValue};
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::instance::{self, Instance};
use crate::{catch_up, keep_alive};

/// The page: 8 (or `?streams=N`) event streams to the same origin, and the posts.
pub const PAGE: &str = include_str!("../../../assets/lesson08.html");

/// The `Last-Event-ID` header as text (bytes that are not UTF-8 are replaced, and such an id
/// is not one of ours: the reader gets `resync`).
fn last_event_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("last-event-id")
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
}

/// `GET /sse`: lesson07's first frame and keep-alive comment around the reader's frames.
pub async fn event_stream(
    posts: Collection<Document>,
    feed: Feed,
    last_event_id: Option<String>,
    keep_alive: Option<Duration>,
) -> Response {
    let frames = catch_up::frames(&posts, &feed, last_event_id.as_deref()).await;
    let frames = keep_alive::with_keep_alive(frames, keep_alive, frames::keep_alive());
    let body = futures::stream::once(async { frames::retry() })
        .chain(frames)
        .map(Ok::<Bytes, Infallible>);
    let mut response = sse_kit::reply::event_stream(body);
    // lesson07: nginx buffers proxied responses unless told otherwise; this header is the
    // per-response switch (nginx.conf also turns buffering off for the whole location).
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// Every route of one instance, each answer with `X-Instance`.
pub fn routes(
    instance: Instance,
    posts: Collection<Document>,
    feed: Feed,
    keep_alive: Option<Duration>,
) -> impl Filter<Extract = (impl Reply,), Error = Infallible> + Clone {
    let page = sse_kit::page::page(PAGE).map(Reply::into_response);
    let list_and_create = posts::routes::routes(posts.clone());
    let sse_feed = feed.clone();
    let sse = warp::path!("sse")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .then(move |headers: HeaderMap| {
            event_stream(
                posts.clone(),
                sse_feed.clone(),
                last_event_id(&headers),
                keep_alive,
            )
        });
    let name = instance.name().to_owned();
    let stats = warp::path!("stats").and(warp::get()).map(move || {
        let mut stats = feed.stats_json();
        stats["instance"] = name.clone().into();
        warp::reply::json(&stats).into_response()
    });
    let header = instance.header_value();
    warp::get()
        .and(page)
        .or(sse)
        .unify()
        .or(stats)
        .unify()
        .or(list_and_create)
        .unify()
        .recover(posts::routes::rejection_reply)
        .unify()
        .map(move |reply: Response| {
            warp::reply::with_header(reply, instance::HEADER, header.clone())
        })
}
