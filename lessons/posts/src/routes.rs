//! `GET /posts` and `POST /posts`: the list the page loads, and writing a post (taught in
//! lesson05). Checking what a writer sends is in `new_post.rs`. Later lessons reuse these:
//! lesson06 serves both routes from [`routes`], lesson07 serves only `GET /posts` (with
//! [`list_posts`]).

use std::convert::Infallible;

use crate::json_stringify;
use bytes::Bytes;
use futures::TryStreamExt;
use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};
use mongodb::Collection;
use warp::http::{header, StatusCode};
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::new_post::{self, InputError};

/// How many posts `GET /posts` returns, newest first.
pub const LATEST_POSTS: i64 = 50;
/// The most bytes one character of a valid post can take on the wire: a character outside
/// Unicode's first 65,536 (an emoji) is 4 bytes of UTF-8, which a form sends as `%F0%9F%98%80`
/// (12 bytes) and JSON may send as the escapes `\ud83d\ude00` (12 bytes). A Hangul syllable is
/// 9 bytes in a form (`%EA%B0%80`), 6 in JSON (`\uac00`).
const MAX_BYTES_PER_CHAR: usize = 12;
/// Room for the field names, quotes, separators and some white space around the two fields.
const ENVELOPE_BYTES: usize = 1024;
/// The largest request body `POST /posts` reads: the longest valid post (200 + 10,000
/// characters) in its most expensive encoding, plus the envelope: 123,424 bytes. A smaller limit
/// would refuse valid posts (a 10,000-character Hangul body is 90,000 bytes as a form).
pub const MAX_REQUEST_BYTES: u64 = ((new_post::TITLE_MAX_CHARS + new_post::BODY_MAX_CHARS)
    * MAX_BYTES_PER_CHAR
    + ENVELOPE_BYTES) as u64;

/// A reply with a JSON body and the given status.
pub fn json_reply(status: StatusCode, json: String) -> Response {
    let reply = warp::reply::with_header(json, header::CONTENT_TYPE, "application/json");
    warp::reply::with_status(reply, status).into_response()
}

pub fn error_reply(error: &InputError) -> Response {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
    json_reply(status, error.to_json().to_string())
}

/// `POST /posts`: check the input, insert the post, answer `201` with the post as JSON.
/// The page does not add the post itself: it arrives, like every other post, as `newPost`.
pub async fn create_post(
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
            json_stringify::to_json(&document),
        )),
        Err(err) => {
            tracing::error!(%err, "could not insert a post");
            let error = InputError::request(503, "the post could not be saved, try again");
            Ok(error_reply(&error))
        }
    }
}

/// The latest `limit` posts, newest first, as a JSON array in the same JSON as the `newPost`
/// events; `503` with a JSON error if MongoDB cannot be read.
pub async fn latest_json(posts: &Collection<Document>, limit: i64) -> Response {
    let latest = async {
        let cursor = posts
            .find(doc! {})
            .sort(doc! { "_id": -1 })
            .limit(limit)
            .await?;
        cursor.try_collect::<Vec<Document>>().await
    };
    match latest.await {
        Ok(found) => {
            let items: Vec<String> = found.iter().map(json_stringify::to_json).collect();
            json_reply(StatusCode::OK, format!("[{}]", items.join(",")))
        }
        Err(err) => {
            tracing::error!(%err, "could not read the posts");
            error_reply(&InputError::request(
                503,
                "the posts could not be read, try again",
            ))
        }
    }
}

/// `GET /posts`: the latest [`LATEST_POSTS`] posts.
pub async fn list_posts(posts: Collection<Document>) -> Result<Response, Infallible> {
    Ok(latest_json(&posts, LATEST_POSTS).await)
}

/// lesson05's `GET /posts` reads no query: always the latest [`LATEST_POSTS`] (see
/// [`check_no_query`]). Exercise 1 of lesson05 reads `?limit=N` instead ([`routes_with`]).
pub fn no_query(query: Option<&str>) -> Result<i64, InputError> {
    check_no_query(query).map(|()| LATEST_POSTS)
}

/// `GET /posts` takes no query parameters. Rather than ignore one (a typo such as
/// `?limt=2` would silently give 50 posts), it is refused, as an unknown field of a post is.
pub fn check_no_query(query: Option<&str>) -> Result<(), InputError> {
    let query = query.unwrap_or_default();
    // `?` alone, or `?&&`, asks for nothing.
    let Some(first) = query.split('&').find(|pair| !pair.is_empty()) else {
        return Ok(());
    };
    let name = first.split('=').next().unwrap_or_default();
    // The name as sent (still percent-encoded), cut short: it goes back in the error message.
    let name: String = name.chars().take(40).collect();
    Err(InputError {
        status: 400,
        message: format!("GET /posts takes no query parameters, got {name}"),
        field: Some(name),
    })
}

/// Every request warp turns away (no such route, body too large, ...) gets a JSON error too.
pub async fn rejection_reply(rejection: Rejection) -> Result<Response, Infallible> {
    use warp::reject::{InvalidHeader, LengthRequired, MethodNotAllowed, PayloadTooLarge};
    let error = if rejection.is_not_found() {
        InputError::request(404, "not found")
    } else if rejection.find::<PayloadTooLarge>().is_some() {
        InputError::request(
            413,
            format!("the request body must be at most {MAX_REQUEST_BYTES} bytes"),
        )
    } else if rejection.find::<LengthRequired>().is_some() {
        InputError::request(411, "send the request body with a Content-Length header")
    } else if let Some(invalid) = rejection.find::<InvalidHeader>() {
        // Before 405: a POST /posts with a bad header is also refused by the GET route (wrong
        // method), and the header is what the client needs to fix.
        InputError::request(400, format!("the {} header is not valid", invalid.name()))
    } else if rejection.find::<MethodNotAllowed>().is_some() {
        InputError::request(405, "method not allowed")
    } else {
        tracing::warn!(?rejection, "unexpected rejection");
        InputError::request(400, "bad request")
    };
    Ok(error_reply(&error))
}

/// `GET /posts` and `POST /posts`.
pub fn routes(
    posts: Collection<Document>,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    routes_with(posts, no_query)
}

/// `GET /posts` and `POST /posts`, with `choose_limit` reading the query of `GET /posts` (the
/// raw query string, if any): how many posts to return, or the error to answer.
pub fn routes_with<L>(
    posts: Collection<Document>,
    choose_limit: L,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone
where
    L: Fn(Option<&str>) -> Result<i64, InputError> + Clone + Send + Sync + 'static,
{
    let with_posts = warp::any().map(move || posts.clone());
    // Each route checks its path before its method: otherwise warp would answer a GET for an
    // unknown path with 405 (from the POST route's method check) instead of 404.
    let list = warp::path!("posts")
        .and(warp::get())
        .and(
            warp::filters::query::raw()
                .map(Some)
                .or(warp::any().map(|| None))
                .unify(),
        )
        .and(with_posts.clone())
        .and_then(move |query: Option<String>, posts: Collection<Document>| {
            let limit = choose_limit(query.as_deref());
            async move {
                Ok::<_, Infallible>(match limit {
                    Ok(limit) => latest_json(&posts, limit).await,
                    Err(error) => error_reply(&error),
                })
            }
        });
    let create = warp::path!("posts")
        .and(warp::post())
        .and(warp::header::optional::<String>("content-type"))
        .and(warp::body::content_length_limit(MAX_REQUEST_BYTES))
        .and(warp::body::bytes())
        .and(with_posts)
        .and_then(create_post);
    list.or(create).unify()
}
