//! What lesson07's exercises run around your answer: a small server without MongoDB, stopped
//! well (`startup::graceful`, as the lesson is), whose `/sse` sends `retry: 3000` and then
//! nothing until the server stops. Your piece decides one thing in it.

use std::convert::Infallible;

use bytes::Bytes;
use futures::stream::{self, StreamExt};
use tokio::sync::watch;
use warp::http::{header, HeaderValue};
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::config::Config;
use crate::frames;

/// Exercise 1: `GET /sse` answers with `Access-Control-Allow-Origin` set to what your
/// `allow_origin` returns for the request's `Origin` header and `ALLOWED_ORIGINS` (no header
/// when it returns `None`).
pub async fn serve_ex1(allow_origin: fn(Option<&str>, &[String]) -> Option<String>) {
    startup::init_logs();
    let config = Config::from_env().unwrap_or_else(|message| startup::exit(2, &message));
    let allowed = config.allowed_origins;
    let (stop, stopping) = watch::channel(false);
    let sse = warp::path!("sse")
        .and(warp::header::optional::<String>("origin"))
        .map(move |origin: Option<String>| {
            // `retry: 3000`, then nothing until the server stops.
            let body = stream::once(async { Ok::<_, Infallible>(frames::retry()) })
                .chain(stream::pending())
                .take_until(stopped(stopping.clone()));
            let mut response = sse_kit::reply::event_stream(body);
            let headers = response.headers_mut();
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
    serve(
        "GET /sse with an Origin header (see the exercise)",
        sse,
        stop,
    )
    .await
}

/// Exercise 2: when the server stops (Ctrl-C or SIGTERM), every `/sse` stream sends the frame
/// your `goodbye` makes of `SHUTDOWN_REASON` (default `server shutting down`), then ends.
pub async fn serve_ex2(goodbye: fn(&str) -> Bytes) {
    let reason =
        std::env::var("SHUTDOWN_REASON").unwrap_or_else(|_| "server shutting down".to_owned());
    let (stop, stopping) = watch::channel(false);
    let sse = warp::path!("sse").map(move || {
        // `retry: 3000` at once; then, when the stop switch flips, the goodbye and the end.
        let stop = stopped(stopping.clone());
        let reason = reason.clone();
        let last = async move {
            stop.await;
            Ok::<_, Infallible>(goodbye(&reason))
        };
        let body = stream::once(async { Ok(frames::retry()) }).chain(stream::once(last));
        sse_kit::reply::event_stream(body)
    });
    serve(
        "GET /sse, then stop the server (see the exercise)",
        sse,
        stop,
    )
    .await
}

/// Completes when the stop switch is set (or dropped).
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// `GET /` answers `hint` (this server has no page); `GET /sse` is `sse`. Served until Ctrl-C
/// or SIGTERM, then `stop` is set and each stream ends (`startup::graceful`).
async fn serve<S>(hint: &'static str, sse: S, stop: watch::Sender<bool>)
where
    S: Filter<Extract = (Response,), Error = warp::Rejection> + Clone + Send + Sync + 'static,
{
    let page = warp::path::end().map(move || hint.into_response());
    let routes = warp::get().and(page.or(sse).unify());
    startup::graceful::run(routes, stop).await
}
