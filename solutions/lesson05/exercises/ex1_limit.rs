//! Lesson 05, exercise 1: `GET /posts?limit=N`.
//!
//! Task: `GET /posts` returns the latest 50 posts. Let a client ask for fewer with `?limit=N`,
//! where N is a whole number from 1 to 50; without `limit` it stays 50. Anything else is refused
//! with `400` and a JSON error that names the field, like the lesson's other errors:
//!
//!     GET /posts?limit=2     ->  200  [{newest}, {second newest}]
//!     GET /posts?limit=abc   ->  400  {"error":"limit must be a whole number from 1 to 50","field":"limit"}
//!
//! Run it:    cargo run -p practice-mongo      and      cargo run -p lesson05 --bin lesson05-ex1
//!            then  curl 'http://127.0.0.1:3000/posts?limit=2'
//! Check it:  cargo tutor check 5

#[path = "../../../lessons/lesson05/src/serve.rs"]
mod serve;

use std::collections::HashMap;
use std::convert::Infallible;

use futures::TryStreamExt;
use lesson04::{mongo, node_json};
use mongodb::bson::{doc, Document};
use mongodb::Collection;
use warp::http::{header, StatusCode};
use warp::reply::Response;
use warp::{Filter, Reply};

/// How many posts `GET /posts` returns when the client does not say.
const LATEST_POSTS: i64 = 50;

// ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
/// How many posts to return: `Ok(n)`, or `Err(message)` for a `limit` that is not allowed.
fn choose_limit(query: &HashMap<String, String>) -> Result<i64, String> {
    match query.get("limit") {
        None => Ok(LATEST_POSTS),
        Some(text) => match text.parse::<i64>() {
            Ok(limit) if (1..=LATEST_POSTS).contains(&limit) => Ok(limit),
            _ => Err(format!(
                "limit must be a whole number from 1 to {LATEST_POSTS}"
            )),
        },
    }
}
// ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────

fn json_reply(status: StatusCode, json: String) -> Response {
    let reply = warp::reply::with_header(json, header::CONTENT_TYPE, "application/json");
    warp::reply::with_status(reply, status).into_response()
}

/// `GET /posts?limit=N`: the latest posts, newest first, in the same JSON as `newPost`.
async fn list_posts(
    query: HashMap<String, String>,
    posts: Collection<Document>,
) -> Result<Response, Infallible> {
    let limit = match choose_limit(&query) {
        Ok(limit) => limit,
        Err(message) => {
            let error = serde_json::json!({ "error": message, "field": "limit" });
            return Ok(json_reply(StatusCode::BAD_REQUEST, error.to_string()));
        }
    };
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
            let items: Vec<String> = found.iter().map(node_json::to_json).collect();
            Ok(json_reply(StatusCode::OK, format!("[{}]", items.join(","))))
        }
        Err(err) => {
            tracing::error!(%err, "could not read the posts");
            let error = serde_json::json!({ "error": "the posts could not be read, try again", "field": null });
            Ok(json_reply(
                StatusCode::SERVICE_UNAVAILABLE,
                error.to_string(),
            ))
        }
    }
}

#[tokio::main]
async fn main() {
    serve::init_logs();
    let uri = std::env::var("MONGODB_URI").unwrap_or_else(|_| mongo::DEFAULT_URI.to_owned());
    let posts = match mongo::connect(&uri).await {
        Ok(posts) => posts,
        Err(err) => serve::exit(err.exit_code(), &err.to_string()),
    };
    let routes = warp::path!("posts")
        .and(warp::get())
        .and(warp::query::<HashMap<String, String>>())
        .and(warp::any().map(move || posts.clone()))
        .and_then(list_posts);
    serve::run(routes).await;
}
