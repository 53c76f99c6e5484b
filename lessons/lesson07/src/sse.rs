//! `GET /sse`: who may connect (CORS, the token, `204`), the response headers, and one client's
//! event stream (keep-alive comments, the last frame when it ends).

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use futures::Stream;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use warp::http::{header, HeaderValue, StatusCode};
use warp::reply::Response;
use warp::Reply;

use crate::clients::{ClientGuard, Clients};
use crate::frames;

/// What every `/sse` request needs: the fan-out, the settings, and the two switches that end
/// streams (shutdown for everyone, logout for one token).
#[derive(Clone)]
pub struct Sse {
    pub clients: Clients,
    pub keep_alive: Duration,
    pub allowed_origins: Vec<String>,
    pub stop: watch::Receiver<bool>,
    pub logged_out: watch::Sender<HashSet<String>>,
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

impl Sse {
    /// Answers `GET /sse?token=...` with `origin` = the `Origin` header.
    pub fn reply(&self, origin: Option<String>, query: HashMap<String, String>) -> Response {
        let allow_origin = match cors(origin.as_deref(), &self.allowed_origins) {
            Cors::NotCrossOrigin => None,
            Cors::Allowed(origin) => HeaderValue::from_str(origin).ok(),
            // The browser would refuse a response without `Access-Control-Allow-Origin` anyway;
            // answering 403 at once saves a connection, and a non-200 ends `EventSource` for good.
            Cors::Refused => {
                tracing::info!(
                    ?origin,
                    "refused an event stream for an origin not in ALLOWED_ORIGINS"
                );
                return with_vary(StatusCode::FORBIDDEN.into_response());
            }
        };
        let token = query.get("token").map(String::as_str).unwrap_or("");
        let mut response = if token.is_empty() || self.logged_out.borrow().contains(token) {
            // `204 No Content` is the one answer that makes a browser's EventSource stop
            // reconnecting for good, quietly: "you have no session, stop asking".
            StatusCode::NO_CONTENT.into_response()
        } else {
            self.event_stream_reply(token.to_owned())
        };
        if let Some(origin) = allow_origin {
            response
                .headers_mut()
                .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        }
        with_vary(response)
    }

    /// The `200` response: headers for proxies, then the client's endless stream.
    fn event_stream_reply(&self, token: String) -> Response {
        let (guard, queue) = self.clients.join();
        let stream = event_stream(Client {
            guard,
            queue,
            stop: self.stop.clone(),
            logged_out: self.logged_out.subscribe(),
            token,
            keep_alive: self.keep_alive,
        });
        let mut response = warp::reply::stream(stream).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
        // nginx buffers proxied responses by default, which would hold frames back; this header
        // turns that off for this one response.
        headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
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
    logged_out: watch::Receiver<HashSet<String>>,
    token: String,
    keep_alive: Duration,
}

/// `retry: 3000`, then frames from the client's queue, with a `: keep-alive` comment whenever
/// nothing was sent for `keep_alive`. It ends:
/// - at shutdown, after `event: shutdown`;
/// - when the client was dropped as too slow, after `event: resync`;
/// - when its token logs out, with no last frame (the browser reconnects and gets `204`).
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
            _ = client.logged_out.wait_for(|out| out.contains(&client.token)) => (None, false),
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
