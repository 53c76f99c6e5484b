//! Lesson 07, exercise 1: CORS for one allowed origin, not for everyone.
//!
//! Task: a page on another site (say `https://app.example`) opens
//! `new EventSource('http://127.0.0.1:3000/sse')`. Its browser sends `Origin: https://app.example`
//! and accepts the answer only if it carries `Access-Control-Allow-Origin` with that origin.
//! As shipped, `allow_origin()` answers `*` to everybody: every site on the internet may read
//! this stream in its visitors' browsers. Change it so that it returns the request's origin
//! when that origin is one of `allowed` (from `ALLOWED_ORIGINS`, comma-separated), and `None`
//! (no header at all) for any other origin and for a request without `Origin`.
//!
//! When it is right:
//!   ALLOWED_ORIGINS=https://app.example cargo run -p lesson07 --bin lesson07-ex1
//!   curl -si -H 'Origin: https://app.example'  http://127.0.0.1:3000/sse | head -5   # the header, with that origin
//!   curl -si -H 'Origin: https://evil.example' http://127.0.0.1:3000/sse | head -5   # no such header
//!
//! Check it:  cargo tutor check 7

#[path = "../../../lessons/lesson07/src/serve.rs"]
mod serve;

use std::convert::Infallible;

use bytes::Bytes;
use futures::stream::{self, StreamExt};
use tokio::sync::watch;
use warp::http::{header, HeaderValue};
use warp::{Filter, Reply};

/// The value of `Access-Control-Allow-Origin` for a request whose `Origin` header is `origin`,
/// or `None` for no such header.
fn allow_origin(origin: Option<&str>, allowed: &[String]) -> Option<String> {
    // ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
    // Echo the origin only when it is on the list; otherwise no header at all.
    let origin = origin?;
    allowed
        .iter()
        .any(|allowed| allowed == origin)
        .then(|| origin.to_owned())
    // ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────
}

/// `ALLOWED_ORIGINS=https://app.example,http://localhost:5173` → the two origins.
fn allowed_origins() -> Vec<String> {
    std::env::var("ALLOWED_ORIGINS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|origin| !origin.is_empty())
        .map(str::to_owned)
        .collect()
}

fn routes(
    allowed: Vec<String>,
    stop: watch::Receiver<bool>,
) -> impl Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone {
    let page = warp::path::end().map(|| "GET /sse with an Origin header (see the exercise)");
    let sse = warp::path!("sse")
        .and(warp::header::optional::<String>("origin"))
        .map(move |origin: Option<String>| {
            // `retry: 3000`, then nothing until the server stops.
            let mut stop = stop.clone();
            let ends = async move {
                let _ = stop.wait_for(|stop| *stop).await;
            };
            let body = stream::once(async { Ok::<_, Infallible>(Bytes::from("retry: 3000\n\n")) })
                .chain(stream::pending())
                .take_until(ends);
            let mut response = warp::reply::stream(body).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            );
            // The answer depends on `Origin`: caches must keep the answers apart.
            headers.insert(header::VARY, HeaderValue::from_static("origin"));
            if let Some(value) = allow_origin(origin.as_deref(), &allowed) {
                match HeaderValue::from_str(&value) {
                    Ok(value) => {
                        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
                    }
                    Err(_) => tracing::warn!(value, "not a valid header value"),
                }
            }
            response
        });
    warp::get().and(page.or(sse))
}

#[tokio::main]
async fn main() {
    serve::init_logs();
    let (stop, stopping) = watch::channel(false);
    serve::run(routes(allowed_origins(), stopping), stop).await;
}
