//! Lesson 05's routes: the page, `/posts`, and lesson04's `/sse` and `/stats`.
//!
//! What is new in this lesson lives in the `posts` crate, because lessons 06–08 use it too:
//! `GET /posts` and `POST /posts` (`posts::routes`) and the checks on a new post
//! (`posts::new_post`). The page is `assets/lesson05.html` and `assets/lesson05.js`.

pub mod exercise;

use std::convert::Infallible;

use mongodb::bson::Document;
use mongodb::Collection;
use posts::feed::{self, Feed};
use posts::routes::rejection_reply;
use warp::http::header;
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

const PAGE: &str = include_str!("../../../assets/lesson05.html");
const SCRIPT: &str = include_str!("../../../assets/lesson05.js");
const STYLE: &str = include_str!("../../../assets/style.css");

/// The whole app: the page, `GET /posts` and `POST /posts` on `collection`, and `GET /sse` and
/// `GET /stats` on lesson04's one feed.
pub fn routes(
    collection: Collection<Document>,
    feed: Feed,
) -> impl Filter<Extract = (impl Reply,), Error = Infallible> + Clone {
    routes_with(
        posts::routes::routes(collection),
        feed::routes(feed, Feed::sse_reply),
    )
}

/// The page and its files around two sets of routes the exercises change: `list_and_create`
/// (`/posts`) and `sse` (`/sse` and `/stats`). Every request they turn away gets a JSON error.
pub fn routes_with<P, S>(
    list_and_create: P,
    sse: S,
) -> impl Filter<Extract = (impl Reply,), Error = Infallible> + Clone
where
    P: Filter<Extract = (Response,), Error = Rejection> + Clone + Send + Sync + 'static,
    S: Filter<Extract = (Response,), Error = Rejection> + Clone + Send + Sync + 'static,
{
    let page = warp::path::end()
        .and(warp::get())
        .map(|| warp::reply::html(PAGE));
    let script = warp::path!("lesson05.js").and(warp::get()).map(|| {
        warp::reply::with_header(
            SCRIPT,
            header::CONTENT_TYPE,
            "text/javascript; charset=utf-8",
        )
    });
    let style = warp::path!("style.css")
        .and(warp::get())
        .map(|| warp::reply::with_header(STYLE, header::CONTENT_TYPE, "text/css; charset=utf-8"));

    page.or(script)
        .or(style)
        .or(list_and_create)
        .or(sse)
        .recover(rejection_reply)
}
