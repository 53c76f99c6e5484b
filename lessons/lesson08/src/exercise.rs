//! What lesson08's exercises run around your answer: one instance, served as `run` serves it,
//! with your piece in place of the lesson's.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use mongodb::bson::Document;
use mongodb::Collection;
use posts::feed::Feed;
use warp::http::{header, HeaderName, HeaderValue};
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::catch_up;

/// Exercise 1: `GET /sse` answers `Content-Type: text/event-stream` and the headers your
/// `proxy_headers` returns, and nothing else of its own (no `Cache-Control`, no
/// `X-Accel-Buffering`: that is your part). A header that is not a valid name or value stops
/// the answer with `500` and says which.
pub async fn serve_ex1(proxy_headers: fn() -> Vec<(&'static str, &'static str)>) {
    crate::serve(move |_instance, posts, feed| {
        warp::path!("sse")
            .and(warp::get())
            .then(move || sse_with(posts.clone(), feed.clone(), proxy_headers))
    })
    .await
}

async fn sse_with(
    posts: Collection<Document>,
    feed: Feed,
    proxy_headers: fn() -> Vec<(&'static str, &'static str)>,
) -> Response {
    let frames = catch_up::frames(&posts, &feed, None).await;
    let body = futures::stream::once(async { Bytes::from_static(b"retry: 3000\n\n") })
        .chain(frames)
        .map(Ok::<Bytes, Infallible>);
    let mut response = warp::reply::stream(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    for (name, value) in proxy_headers() {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(name), Ok(value)) => {
                headers.insert(name, value);
            }
            _ => {
                let why = format!("not a valid header: {name:?}: {value:?}\n");
                return warp::reply::with_status(
                    why,
                    warp::http::StatusCode::INTERNAL_SERVER_ERROR,
                )
                .into_response();
            }
        }
    }
    response
}

/// Exercise 2: the instance's keep-alive period is what your `keep_alive_for` chooses for the
/// proxy's `proxy_read_timeout`, read from `PROXY_READ_TIMEOUT_MS` (default 60000, nginx's).
pub async fn serve_ex2(keep_alive_for: fn(Duration) -> Option<Duration>) {
    let timeout = startup::settings::millis("PROXY_READ_TIMEOUT_MS", Duration::from_secs(60));
    let keep_alive = keep_alive_for(timeout);
    tracing::info!(
        ?timeout,
        ?keep_alive,
        "the proxy's idle timeout and your keep-alive period"
    );
    crate::run_with(keep_alive).await
}
