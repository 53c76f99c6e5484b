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

use lesson04::mongo;
use lesson05::posts::{self, LATEST_POSTS};
use mongodb::bson::Document;
use mongodb::Collection;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::Filter;

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

/// `GET /posts?limit=N`: the latest posts, newest first (lesson05's `posts::latest_json`).
async fn list_posts(
    query: HashMap<String, String>,
    collection: Collection<Document>,
) -> Result<Response, Infallible> {
    match choose_limit(&query) {
        Ok(limit) => Ok(posts::latest_json(&collection, limit).await),
        Err(message) => {
            let error = serde_json::json!({ "error": message, "field": "limit" });
            Ok(posts::json_reply(
                StatusCode::BAD_REQUEST,
                error.to_string(),
            ))
        }
    }
}

#[tokio::main]
async fn main() {
    serve::init_logs();
    let uri = std::env::var("MONGODB_URI").unwrap_or_else(|_| mongo::DEFAULT_URI.to_owned());
    let collection = match mongo::connect(&uri).await {
        Ok(collection) => collection,
        Err(err) => serve::exit(err.exit_code(), &err.to_string()),
    };
    let routes = warp::path!("posts")
        .and(warp::get())
        .and(warp::query::<HashMap<String, String>>())
        .and(warp::any().map(move || collection.clone()))
        .and_then(list_posts);
    serve::run(routes).await;
}
