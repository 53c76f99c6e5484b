//! Lesson 05: the final page. New posts appear at the top of every open page, live.
//!
//! This is where the notes end ([몽고DB-체인지스트림] 클라이언트사이드): the page listens for `newPost`,
//! parses the JSON and puts the post at the top of the list. Around it we build a small, complete
//! app: `GET /` the page (`assets/lesson05.html` and `.js`), `GET /posts` the latest posts,
//! `POST /posts` to write one (checked in `new_post.rs`), and `GET /sse`, which is lesson04's
//! change-stream feed unchanged: the post a writer saves reaches every reader through MongoDB.
//!
//! Run it (MongoDB first; see README.md):
//!   cargo run -p practice-mongo          # in another terminal
//!   cargo run -p lesson05                # then open http://127.0.0.1:3000 in two windows

mod new_post;
mod serve;

use std::convert::Infallible;

use bytes::Bytes;
use futures::TryStreamExt;
use lesson04::feed::Feed;
use lesson04::{mongo, node_json};
use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};
use mongodb::Collection;
use new_post::InputError;
use warp::http::{header, StatusCode};
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

const PAGE: &str = include_str!("../../../assets/lesson05.html");
const SCRIPT: &str = include_str!("../../../assets/lesson05.js");
const STYLE: &str = include_str!("../../../assets/style.css");

/// How many posts `GET /posts` returns, newest first.
const LATEST_POSTS: i64 = 50;
/// The largest request body `POST /posts` reads: room for 200 + 10,000 characters, even escaped.
const MAX_REQUEST_BYTES: u64 = 64 * 1024;

/// A reply with a JSON body and the given status.
fn json_reply(status: StatusCode, json: String) -> Response {
    let reply = warp::reply::with_header(json, header::CONTENT_TYPE, "application/json");
    warp::reply::with_status(reply, status).into_response()
}

fn error_reply(error: &InputError) -> Response {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
    json_reply(status, error.to_json().to_string())
}

/// `POST /posts`: check the input, insert the post, answer `201` with the post as JSON.
/// The page does not add the post itself: it arrives, like every other post, as `newPost`.
async fn create_post(
    content_type: Option<String>,
    body: Bytes,
    posts: Collection<Document>,
) -> Result<Response, Infallible> {
    let post = match new_post::parse(content_type.as_deref(), &body) {
        Ok(post) => post,
        Err(error) => return Ok(error_reply(&error)),
    };
    // We pick the `_id` ourselves so that it comes first, exactly as MongoDB stores it.
    let document = doc! {
        "_id": ObjectId::new(),
        "title": post.title,
        "body": post.body,
        "createdAt": DateTime::now(),
    };
    match posts.insert_one(&document).await {
        Ok(_) => Ok(json_reply(
            StatusCode::CREATED,
            node_json::to_json(&document),
        )),
        Err(err) => {
            tracing::error!(%err, "could not insert a post");
            let error = InputError::request(503, "the post could not be saved, try again");
            Ok(error_reply(&error))
        }
    }
}

/// `GET /posts`: the latest posts, newest first, in the same JSON as the `newPost` events.
async fn list_posts(posts: Collection<Document>) -> Result<Response, Infallible> {
    let latest = async {
        let cursor = posts
            .find(doc! {})
            .sort(doc! { "_id": -1 })
            .limit(LATEST_POSTS)
            .await?;
        cursor.try_collect::<Vec<Document>>().await
    };
    match latest.await {
        Ok(found) => {
            let items: Vec<String> = found.iter().map(node_json::to_json).collect();
            Ok(json_reply(StatusCode::OK, format!("[{}]", items.join(","))))
        }
        Err(err) => {
            tracing::error!(%err, "could not read the posts");
            Ok(error_reply(&InputError::request(
                503,
                "the posts could not be read, try again",
            )))
        }
    }
}

/// Every request warp turns away (no such route, body too large, ...) gets a JSON error too.
async fn rejection_reply(rejection: Rejection) -> Result<Response, Infallible> {
    use warp::reject::{InvalidHeader, LengthRequired, MethodNotAllowed, PayloadTooLarge};
    let error = if rejection.is_not_found() {
        InputError::request(404, "not found")
    } else if rejection.find::<PayloadTooLarge>().is_some() {
        InputError::request(413, "the request body must be at most 64 KiB")
    } else if rejection.find::<LengthRequired>().is_some() {
        InputError::request(411, "send the request body with a Content-Length header")
    } else if rejection.find::<MethodNotAllowed>().is_some() {
        InputError::request(405, "method not allowed")
    } else if let Some(invalid) = rejection.find::<InvalidHeader>() {
        InputError::request(400, format!("the {} header is not valid", invalid.name()))
    } else {
        tracing::warn!(?rejection, "unexpected rejection");
        InputError::request(400, "bad request")
    };
    Ok(error_reply(&error))
}

fn routes(
    feed: Feed,
    posts: Collection<Document>,
) -> impl Filter<Extract = (impl Reply,), Error = Infallible> + Clone {
    let with_posts = warp::any().map(move || posts.clone());
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
    // Each route checks its path before its method: otherwise warp would answer a GET for an
    // unknown path with 405 (from the POST route's method check) instead of 404.
    let list = warp::path!("posts")
        .and(warp::get())
        .and(with_posts.clone())
        .and_then(list_posts);
    let create = warp::path!("posts")
        .and(warp::post())
        .and(warp::header::optional::<String>("content-type"))
        .and(warp::body::content_length_limit(MAX_REQUEST_BYTES))
        .and(warp::body::bytes())
        .and(with_posts)
        .and_then(create_post);
    let sse_feed = feed.clone();
    // lesson04's feed: each client subscribes to the one change stream.
    let sse = warp::path!("sse")
        .and(warp::get())
        .map(move || sse_feed.sse_reply());
    let stats = warp::path!("stats")
        .and(warp::get())
        .map(move || warp::reply::json(&feed.stats_json()));

    page.or(script)
        .or(style)
        .or(list)
        .or(create)
        .or(sse)
        .or(stats)
        .recover(rejection_reply)
}

#[tokio::main]
async fn main() {
    serve::init_logs();
    let uri = std::env::var("MONGODB_URI").unwrap_or_else(|_| mongo::DEFAULT_URI.to_owned());

    // Exactly as lesson04: connect once, open the one change stream, then serve.
    let opened = async {
        let posts = mongo::connect(&uri).await?;
        let changes = mongo::watch_inserts(&posts).await?;
        Ok::<_, mongo::StartupError>((posts, changes))
    };
    let (posts, changes) = match opened.await {
        Ok(opened) => opened,
        Err(err) => serve::exit(err.exit_code(), &err.to_string()),
    };
    let (feed, feed_task) = Feed::start(changes);

    tokio::select! {
        () = serve::run(routes(feed, posts)) => {}
        stopped = feed_task => {
            let reason = stopped.unwrap_or_else(|err| format!("the change stream task failed: {err}"));
            serve::exit(1, &reason);
        }
    }
}
