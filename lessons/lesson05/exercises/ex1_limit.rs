//! Lesson 05, exercise 1: `GET /posts?limit=N`.
//!
//! Task: `GET /posts` returns the latest 50 posts. Let a client ask for fewer with `?limit=N`,
//! where N is a whole number from 1 to 50; without `limit` it stays 50. Anything else is refused
//! with `400` and a JSON error that names the field, like the lesson's other errors:
//!
//!     GET /posts?limit=2     ->  200  [{newest}, {second newest}]
//!     GET /posts?limit=abc   ->  400  {"error":"limit must be a whole number from 1 to 50","field":"limit"}
//!
//! `query` holds the query's fields (`?limit=2` is `{"limit": "2"}`); an `Err(message)` is
//! answered with that JSON error.
//!
//! Run it:    cargo run -p practice-mongo      and      cargo run -p lesson05 --bin lesson05-ex1
//!            then  curl 'http://127.0.0.1:3000/posts?limit=2'
//! Check it:  cargo tutor check 5

use std::collections::HashMap;

use posts::routes::LATEST_POSTS;

// ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
/// How many posts to return: `Ok(n)`, or `Err(message)` for a `limit` that is not allowed.
fn choose_limit(query: &HashMap<String, String>) -> Result<i64, String> {
    let _ = query;
    Ok(LATEST_POSTS)
}
// ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────

#[tokio::main]
async fn main() {
    lesson05::exercise::serve_ex1(choose_limit).await
}
