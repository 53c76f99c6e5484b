//! Lesson 04's routes: the page, and `/sse` and `/stats` on the one feed.
//!
//! What this lesson teaches lives in the `posts` crate, because lessons 05–08 use it too:
//! connecting and the one change stream (`posts::mongo`), the task that reads it and the channel
//! every client subscribes to (`posts::feed`), `JSON.stringify`'s bytes (`posts::json_stringify`)
//! and the notes' `main()`: connect once, open the stream once, then serve (`posts::serve_feed`).

pub mod exercise;

use posts::feed::{self, Feed};
use warp::http::header;
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

const PAGE: &str = include_str!("../../../assets/lesson04.html");
const STYLE: &str = include_str!("../../../assets/style.css");

/// `GET /` the page, `GET /style.css`, `GET /sse` (each client subscribes to the one feed) and
/// `GET /stats` (how many clients, how many change streams: always one).
pub fn routes(feed: Feed) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    routes_with(feed, Feed::sse_reply)
}

/// The same routes, with `reply` making each client's `/sse` response (exercise 2 changes it).
pub fn routes_with<R>(
    feed: Feed,
    reply: R,
) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone
where
    R: Fn(&Feed) -> Response + Clone + Send + Sync + 'static,
{
    let page = warp::path::end()
        .and(warp::get())
        .map(|| warp::reply::html(PAGE));
    let style = warp::path!("style.css")
        .and(warp::get())
        .map(|| warp::reply::with_header(STYLE, header::CONTENT_TYPE, "text/css; charset=utf-8"));
    page.or(style).or(feed::routes(feed, reply))
}
