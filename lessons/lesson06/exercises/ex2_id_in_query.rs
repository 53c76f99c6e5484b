//! Lesson 06, exercise 2: resume after a page reload, with `?lastEventId=`.
//!
//! A browser sends `Last-Event-ID` only when it reconnects by itself. A reloaded page makes a new
//! `EventSource`, which starts with no id at all. A page can keep the last id it saw (in
//! `sessionStorage`) and open `new EventSource('/sse?lastEventId=' + encodeURIComponent(id))`.
//!
//! Task: change `last_event_id()` so that, when there is no `Last-Event-ID` header, the query
//! parameter `lastEventId` is used instead. When both are there, the header wins: it is newer
//! (the browser updates it with every event, the URL never changes).
//!
//! Run it:    cargo run -p practice-mongo      and      cargo run -p lesson06 --bin lesson06-ex2
//!            then  curl -N 'http://127.0.0.1:3000/sse?lastEventId=<an id from an earlier curl>'
//! Check it:  cargo tutor check 6

use std::collections::HashMap;

use warp::http::HeaderMap;

/// The id this client wants to resume after, if any.
fn last_event_id(headers: &HeaderMap, query: &HashMap<String, String>) -> Option<String> {
    // ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
    let _ = query;
    headers
        .get("last-event-id")
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
    // ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────
}

#[tokio::main]
async fn main() {
    lesson06::exercise::serve_ex2(last_event_id).await
}
