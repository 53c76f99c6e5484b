//! Lesson 06: reconnect and resume. A client that was away gets exactly the posts it missed.
//!
//! lesson05's page had a gap: while its connection was down (a restarted server, a tunnel), posts
//! went by and never reached it as events, so it fetched the whole list again. Here every post
//! carries its change event's resume token as `id:` (`resume_id.rs`, `frames.rs`); the browser
//! sends the last one back as `Last-Event-ID` when it reconnects, and the server opens that
//! client's change stream right after it (`client_stream.rs`): the missed posts come first, in
//! order, then the live ones, on one cursor, with nothing lost and nothing twice.
//!
//! Run it (MongoDB first; see lesson04's README):
//!   cargo run -p practice-mongo          # in another terminal
//!   cargo run -p lesson06                # then open http://127.0.0.1:3000, stop and restart it

mod serve;

use std::convert::Infallible;
use std::ops::RangeInclusive;
use std::time::Duration;

use lesson04::mongo;
use lesson05::posts;
use lesson06::client_stream::{Streams, IDLE_TIMEOUT};
use lesson06::{reply, RETRY_MS};
use warp::http::{header, HeaderMap};
use warp::{Filter, Reply};

const PAGE: &str = include_str!("../../../assets/lesson06.html");
const SCRIPT: &str = include_str!("../../../assets/lesson06.js");
const STYLE: &str = include_str!("../../../assets/style.css");

/// At most this many clients have a change stream (a cursor) at once; `MAX_CLIENTS` changes it.
const MAX_CLIENTS: u64 = 100;
/// The most `MAX_CLIENTS` may be: each client holds a MongoDB connection, and a MongoDB server
/// (or a small machine's file limit) runs out long before this.
const MAX_CLIENTS_RANGE: RangeInclusive<u64> = 1..=10_000;
/// `IDLE_TIMEOUT_MS` from 100 ms to a day: never 0 (a slot must not be held for ever).
const IDLE_TIMEOUT_MS_RANGE: RangeInclusive<u64> = 100..=86_400_000;
/// Connections the driver may open besides one per change stream (for `GET/POST /posts`).
const SPARE_CONNECTIONS: u64 = 10;

/// The `Last-Event-ID` header as text. Read from the raw header, not with `warp::header`, so that
/// even bytes that are not UTF-8 get the `200` + `resync` answer instead of a `400`. A browser
/// sends it once; if a client sends it twice, the values are joined with `, ` (as HTTP joins a
/// repeated header), which is never one of our ids: `resync`, not a guess at which one was meant.
fn last_event_id(headers: &HeaderMap) -> Option<String> {
    let values: Vec<String> = headers
        .get_all("last-event-id")
        .iter()
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

fn routes(
    streams: Streams,
    collection: mongodb::Collection<mongodb::bson::Document>,
) -> impl Filter<Extract = (impl Reply,), Error = Infallible> + Clone {
    let page = warp::path::end()
        .and(warp::get())
        .map(|| warp::reply::html(PAGE));
    let script = warp::path!("lesson06.js").and(warp::get()).map(|| {
        warp::reply::with_header(
            SCRIPT,
            header::CONTENT_TYPE,
            "text/javascript; charset=utf-8",
        )
    });
    let style = warp::path!("style.css")
        .and(warp::get())
        .map(|| warp::reply::with_header(STYLE, header::CONTENT_TYPE, "text/css; charset=utf-8"));
    // GET and POST /posts, as in lesson05 (lesson05's posts.rs).
    let list_and_create = posts::routes(collection);
    let sse_streams = streams.clone();
    let sse = warp::path!("sse")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .then(move |headers: HeaderMap| {
            let streams = sse_streams.clone();
            async move {
                // The change stream is open before the head goes out (see client_stream.rs).
                match streams.connect(last_event_id(&headers), RETRY_MS).await {
                    Ok(frames) => reply::event_stream(frames),
                    // Every slot is taken: "come back in 5 s" (reply.rs says why in two ways).
                    Err(busy) => reply::busy(busy, &headers),
                }
            }
        });
    let stats = warp::path!("stats")
        .and(warp::get())
        .map(move || warp::reply::json(&streams.stats_json()));

    page.or(script)
        .or(style)
        .or(list_and_create)
        .or(sse)
        .or(stats)
        .recover(posts::rejection_reply)
}

/// The whole number in environment variable `name`, `default` when it is not set. Anything else
/// (not a number, out of `range`, not even text) ends the program with a message that names the
/// variable and the range, rather than a panic or a confusing error later on.
fn setting(name: &str, range: RangeInclusive<u64>, default: u64) -> u64 {
    let text = match std::env::var(name) {
        Err(std::env::VarError::NotPresent) => return default,
        Err(std::env::VarError::NotUnicode(text)) => text.to_string_lossy().into_owned(),
        Ok(text) => text,
    };
    match text.trim().parse::<u64>() {
        Ok(n) if range.contains(&n) => n,
        _ => serve::exit(
            2,
            &format!(
                "{name} must be a whole number from {} to {}, got {text:?}",
                range.start(),
                range.end()
            ),
        ),
    }
}

/// The URI with `maxPoolSize` set (unless it sets one): a change stream waiting for news holds
/// one pooled connection, and the driver's default pool (10) would make the 11th client wait.
fn with_pool_size(uri: &str, size: u64) -> String {
    if uri.to_ascii_lowercase().contains("maxpoolsize=") {
        return uri.to_owned();
    }
    let after_scheme = uri.find("://").map_or(0, |i| i + 3);
    let separator = if uri.contains('?') {
        "&"
    } else if uri[after_scheme..].contains('/') {
        "?"
    } else {
        "/?"
    };
    format!("{uri}{separator}maxPoolSize={size}")
}

#[tokio::main]
async fn main() {
    serve::init_logs();
    let uri = std::env::var("MONGODB_URI").unwrap_or_else(|_| mongo::DEFAULT_URI.to_owned());
    let max_clients = setting("MAX_CLIENTS", MAX_CLIENTS_RANGE, MAX_CLIENTS);
    let idle_ms = setting(
        "IDLE_TIMEOUT_MS",
        IDLE_TIMEOUT_MS_RANGE,
        IDLE_TIMEOUT.as_millis() as u64,
    );
    // Both within their ranges, so neither the sum nor the conversion can overflow.
    let uri = with_pool_size(&uri, max_clients + SPARE_CONNECTIONS);

    // As in lesson04: connect, and open a change stream once at startup, only to report a
    // missing or standalone MongoDB now, with the fix. Each client then opens its own.
    let checked = async {
        let posts = mongo::connect(&uri).await?;
        drop(mongo::watch_inserts(&posts).await?);
        Ok::<_, mongo::StartupError>(posts)
    };
    let collection = match checked.await {
        Ok(collection) => collection,
        Err(err) => serve::exit(err.exit_code(), &err.to_string()),
    };
    tracing::info!(
        max_clients,
        idle_ms,
        "each SSE client gets its own change stream, resumed after its Last-Event-ID"
    );
    let streams = Streams::new(collection.clone(), max_clients as usize)
        .with_idle_timeout(Duration::from_millis(idle_ms));
    serve::run(routes(streams, collection)).await;
}

#[cfg(test)]
mod tests {
    use super::with_pool_size;

    #[test]
    fn the_pool_size_goes_into_the_uri_unless_it_is_there() {
        let cases = [
            ("mongodb://h:1", "mongodb://h:1/?maxPoolSize=20"),
            ("mongodb://h:1/db", "mongodb://h:1/db?maxPoolSize=20"),
            (
                "mongodb://h:1/db?directConnection=true",
                "mongodb://h:1/db?directConnection=true&maxPoolSize=20",
            ),
            (
                "mongodb://h:1/?maxPoolSize=5",
                "mongodb://h:1/?maxPoolSize=5",
            ),
        ];
        for (uri, want) in cases {
            assert_eq!(with_pool_size(uri, 20), want);
        }
    }
}
