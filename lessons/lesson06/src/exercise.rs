//! What lesson06's exercises run around your answer: lesson06's whole app (`serve_with`), with
//! your piece in place of the lesson's.

use std::collections::HashMap;

use warp::http::HeaderMap;

use crate::{last_event_id, serve_with};

/// Exercise 1: every stream starts with `retry: <what your retry_ms() returns>` (asked once, at
/// start-up); the rest is the lesson.
pub async fn serve_ex1(retry_ms: fn() -> u64) {
    serve_with(retry_ms(), |headers, _query| last_event_id(headers)).await
}

/// Exercise 2: each `/sse` resumes after the id your `last_event_id` picks from the request's
/// headers and the query's fields (`?lastEventId=82AB` is `{"lastEventId": "82AB"}`).
pub async fn serve_ex2(last_event_id: fn(&HeaderMap, &HashMap<String, String>) -> Option<String>) {
    serve_with(crate::RETRY_MS, move |headers, query| {
        // A query that is not `name=value&...` names no id: read it as no fields at all.
        let fields: HashMap<String, String> =
            serde_urlencoded::from_str(query.unwrap_or_default()).unwrap_or_default();
        last_event_id(headers, &fields)
    })
    .await
}
