//! `GET /sse`: who may connect (CORS, the token, `204`), the response headers, and one client's
//! event stream (keep-alive comments, the last frame when it ends).
//!
//! The token is optional: `GET /sse` with no `?token=` streams to an anonymous reader (as every
//! earlier lesson does, so `curl -N http://127.0.0.1:3000/sse` works); a token that logged out
//! gets `204` (and the server logs why); a malformed one gets `400`.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use futures::Stream;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use warp::http::{header, HeaderMap, HeaderValue, StatusCode};
use warp::reply::Response;
use warp::Reply;

use crate::clients::{ClientGuard, Clients};
use crate::frames;
use crate::logout::{self, LoggedOut};

/// What every `/sse` request needs: the fan-out, the settings, and the two switches that end
/// streams (shutdown for everyone, logout for one token).
#[derive(Clone)]
pub struct Sse {
    pub clients: Clients,
    pub keep_alive: Duration,
    pub allowed_origins: Vec<String>,
    pub stop: watch::Receiver<bool>,
    pub logged_out: watch::Sender<LoggedOut>,
}

/// What the `Origin` header says about a request.
#[derive(Debug, PartialEq)]
enum Cors<'a> {
    /// No `Origin` header: `curl`, or a page of our own origin (browsers send no `Origin` on a
    /// same-origin GET). Nothing to add.
    NotCrossOrigin,
    /// A page of an allowed origin: echo it in `Access-Control-Allow-Origin`.
    Allowed(&'a str),
    /// A page of any other origin: refused.
    Refused,
}

fn cors<'a>(origin: Option<&'a str>, allowed: &[String]) -> Cors<'a> {
    match origin {
        None => Cors::NotCrossOrigin,
        Some(origin) if allowed.iter().any(|a| a == origin) => Cors::Allowed(origin),
        Some(_) => Cors::Refused,
    }
}

/// The one `Origin` header of a request, if any. Two of them, or one that is not visible ASCII,
/// is not something a browser sends: the request is refused.
fn origin_of(headers: &HeaderMap) -> Result<Option<&str>, &'static str> {
    let mut values = headers.get_all(header::ORIGIN).iter();
    let Some(origin) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err("more than one Origin header");
    }
    match origin.to_str() {
        Ok(origin) => Ok(Some(origin)),
        Err(_) => Err("an Origin header that is not visible ASCII"),
    }
}

/// The `token` of a query string (already split into pairs): `None` when it is missing or empty
/// (an anonymous reader). Given twice, or not a token (`logout::check_token`): `Err`.
pub fn token_of(query: &[(String, String)]) -> Result<Option<&str>, String> {
    let mut tokens = query.iter().filter(|(name, _)| name == "token");
    let Some((_, token)) = tokens.next() else {
        return Ok(None);
    };
    if tokens.next().is_some() {
        return Err("`token` is given more than once".to_owned());
    }
    if token.is_empty() {
        return Ok(None);
    }
    logout::check_token(token).map(|()| Some(token.as_str()))
}

/// A value a client sent, made safe and short for a log line: at most 64 characters, control
/// characters escaped, and the full length when it was cut.
pub fn for_log(text: &str) -> String {
    const SHOWN: usize = 64;
    let shown: String = text.chars().take(SHOWN).collect();
    if shown.len() == text.len() {
        format!("{shown:?}")
    } else {
        format!("{shown:?}... ({} bytes)", text.len())
    }
}

/// `400 Bad Request` with a line that says what was wrong.
pub fn bad_request(why: &str) -> Response {
    warp::reply::with_status(format!("{why}\n"), StatusCode::BAD_REQUEST).into_response()
}

impl Sse {
    /// Answers `GET /sse?token=...`: `headers` are the request's, `query` its query string in
    /// pairs.
    pub fn reply(&self, headers: &HeaderMap, query: &[(String, String)]) -> Response {
        let origin = match origin_of(headers) {
            Ok(origin) => origin,
            Err(why) => {
                tracing::info!(why, "refused an event stream: bad Origin header");
                return with_vary(bad_request(&format!("bad request: {why}")));
            }
        };
        let allow_origin = match cors(origin, &self.allowed_origins) {
            Cors::NotCrossOrigin => None,
            Cors::Allowed(origin) => HeaderValue::from_str(origin).ok(),
            // The browser would refuse a response without `Access-Control-Allow-Origin` anyway;
            // answering 403 at once saves a connection, and a non-200 ends `EventSource` for good.
            Cors::Refused => {
                tracing::info!(
                    origin = for_log(origin.unwrap_or_default()),
                    "refused an event stream for an origin not in ALLOWED_ORIGINS"
                );
                return with_vary(StatusCode::FORBIDDEN.into_response());
            }
        };
        let mut response = match token_of(query) {
            Err(why) => {
                tracing::info!(why, "refused an event stream: bad token");
                bad_request(&format!("bad token: {why}"))
            }
            Ok(Some(token)) if self.logged_out.borrow().contains(token, Instant::now()) => {
                // `204 No Content` is the one answer that makes a browser's EventSource stop
                // reconnecting for good, quietly: "your session ended, stop asking". Quiet for
                // the browser, so the server says it in its log.
                tracing::info!(
                    "204 No Content for an event stream: its token logged out \
                     (the browser stops reconnecting)"
                );
                StatusCode::NO_CONTENT.into_response()
            }
            Ok(token) => self.event_stream_reply(token.map(str::to_owned)),
        };
        if let Some(origin) = allow_origin {
            response
                .headers_mut()
                .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        }
        with_vary(response)
    }

    /// The `200` response: the event-stream headers (`sse_kit::reply`), one more for proxies,
    /// then the client's endless stream. `token` is `None` for an anonymous reader (no logout
    /// can end its stream).
    fn event_stream_reply(&self, token: Option<String>) -> Response {
        let (guard, queue) = self.clients.join();
        let stream = event_stream(Client {
            guard,
            queue,
            stop: self.stop.clone(),
            logged_out: self.logged_out.subscribe(),
            token,
            keep_alive: self.keep_alive,
        });
        let mut response = sse_kit::reply::event_stream(stream);
        // nginx buffers proxied responses by default, which would hold frames back; this header
        // turns that off for this one response.
        response
            .headers_mut()
            .insert("x-accel-buffering", HeaderValue::from_static("no"));
        response
    }
}

/// Every `/sse` answer depends on the `Origin` header, so caches must keep them apart.
fn with_vary(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("origin"));
    response
}

/// One client's state while its stream is open.
struct Client {
    guard: ClientGuard,
    queue: mpsc::Receiver<Bytes>,
    stop: watch::Receiver<bool>,
    logged_out: watch::Receiver<LoggedOut>,
    token: Option<String>,
    keep_alive: Duration,
}

/// Completes when `token` logs out; never for an anonymous reader.
async fn logged_out(out: &mut watch::Receiver<LoggedOut>, token: Option<&str>) {
    if let Some(token) = token {
        if out
            .wait_for(|out| out.contains(token, Instant::now()))
            .await
            .is_ok()
        {
            return;
        }
    }
    // Anonymous, or the logout switch is gone (the server is stopping): nothing to wait for.
    std::future::pending().await
}

/// `retry: 3000`, then frames from the client's queue, with a `: keep-alive` comment whenever
/// nothing was sent for `keep_alive`. It ends:
/// - at shutdown, after `event: shutdown`;
/// - when the client was dropped as too slow, after `event: resync`;
/// - when its token logs out, with no last frame (the browser reconnects and gets `204`);
/// - when hyper drops it: the client went away, or took no bytes for `WRITE_TIMEOUT_MS`.
fn event_stream(
    client: Client,
) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + Sync + 'static {
    let first = futures::stream::once(async { Ok(frames::retry()) });
    let rest = futures::stream::unfold(Some(client), |client| async move {
        let mut client = client?; // None: the stream has ended
        let keep_alive_at = Instant::now() + client.keep_alive;
        let (frame, keep_open) = tokio::select! {
            // `biased`: check the reasons to end first, in this order.
            biased;
            _ = client.stop.wait_for(|stop| *stop) => (Some(frames::shutdown()), false),
            () = logged_out(&mut client.logged_out, client.token.as_deref()) => (None, false),
            queued = client.queue.recv() => match queued {
                Some(frame) => (Some(frame), true),
                // The fan-out dropped this client (its queue was full): tell it, then end.
                None => (Some(frames::too_slow()), false),
            },
            () = tokio::time::sleep_until(keep_alive_at) => (Some(frames::keep_alive()), true),
        };
        if !keep_open {
            tracing::info!(client = client.guard.client, "ending the event stream");
        }
        let next = keep_open.then_some(client);
        frame.map(|frame| (Ok(frame), next))
    });
    futures::StreamExt::chain(first, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cors_decisions() {
        let allowed = vec!["https://app.example".to_owned()];
        assert_eq!(cors(None, &allowed), Cors::NotCrossOrigin);
        assert_eq!(
            cors(Some("https://app.example"), &allowed),
            Cors::Allowed("https://app.example")
        );
        assert_eq!(cors(Some("https://evil.example"), &allowed), Cors::Refused);
        assert_eq!(
            cors(Some("https://app.example:8443"), &allowed),
            Cors::Refused
        );
        assert_eq!(cors(Some("null"), &allowed), Cors::Refused);
    }
}
