//! Lesson 07: what a production SSE service needs, beyond the notes.
//!
//! The same feed as lessons 04–05 (one change stream, every insert sent as `event: newPost`),
//! hardened for real traffic. Each concern lives in one file:
//!
//! - `sse.rs`: `GET /sse`: CORS for pages of other origins, `204` to stop a logged-out client for
//!   good, `X-Accel-Buffering: no`, keep-alive comments, the last frame when a stream ends;
//! - `logout.rs`: the logged-out tokens, remembered with a bound (how many, how long);
//! - `clients.rs`: a bounded queue per client and the slow-client policy;
//! - `changes.rs`: the change stream kept alive through MongoDB faults;
//! - `serve.rs`: graceful shutdown on Ctrl-C and SIGTERM (this lesson's `serve.rs` differs from
//!   the other lessons' on purpose), and the time limits of a connection (a client that takes
//!   no bytes for `WRITE_TIMEOUT_MS` is disconnected);
//! - `config.rs`: the settings, from environment variables, checked at start-up;
//! - `frames.rs`: every frame written, byte for byte.
//!
//! Compression (gzip) is on for the page and `GET /posts`, and off for `/sse`: see `routes()`.
//!
//! Run it (MongoDB first, as in lesson04):
//!   cargo run -p practice-mongo                       # in another terminal
//!   cargo run -p lesson07                             # then open http://127.0.0.1:3000
//!   cargo run -p lesson04 --bin insert-post -- 제목   # insert a post

mod serve;

use lesson04::mongo;
// GET /posts as in lesson05 (its posts.rs).
use lesson05::posts;
use mongodb::bson::Document;
use mongodb::Collection;
use tokio::sync::watch;
use tokio::time::Instant;
use warp::http::{header, StatusCode};
use warp::{Filter, Rejection, Reply};

use lesson07::clients::Clients;
use lesson07::config::Config;
use lesson07::logout::LoggedOut;
use lesson07::sse::Sse;
use lesson07::{changes, sse};

const PAGE: &str = include_str!("../../../assets/lesson07.html");
const STYLE: &str = include_str!("../../../assets/style.css");

/// Passes only requests whose `Accept-Encoding` lists gzip (and not with `q=0`).
///
/// warp's `filters::compression::gzip()` compresses every response it wraps, whatever the client said it
/// can read; this filter puts that check in front of it.
fn accepts_gzip() -> impl Filter<Extract = (), Error = Rejection> + Clone {
    warp::header::optional::<String>("accept-encoding")
        .and_then(|value: Option<String>| async move {
            let accepted = value.is_some_and(|value| {
                value.split(',').any(|coding| {
                    let mut parts = coding.split(';').map(str::trim);
                    let name = parts.next().unwrap_or("");
                    let refused = parts.any(|p| p.replace(' ', "") == "q=0");
                    name.eq_ignore_ascii_case("gzip") && !refused
                })
            });
            if accepted {
                Ok(())
            } else {
                Err(warp::reject::not_found())
            }
        })
        .untuple_one()
}

fn routes(
    sse: Sse,
    posts: Collection<Document>,
) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    // The routes whose bodies are finite: worth compressing.
    let page = warp::path::end()
        .and(warp::get())
        .map(|| warp::reply::html(PAGE).into_response());
    let style = warp::path!("style.css").and(warp::get()).map(|| {
        warp::reply::with_header(STYLE, header::CONTENT_TYPE, "text/css; charset=utf-8")
            .into_response()
    });
    let list = warp::path!("posts")
        .and(warp::get())
        .and(warp::any().map(move || posts.clone()))
        .and_then(posts::list_posts);
    let documents = page.or(style).unify().or(list).unify();
    let gzipped = accepts_gzip()
        .and(documents.clone())
        .with(warp::filters::compression::gzip())
        .map(Reply::into_response);
    // `Vary`: the same URL has a gzip and a plain answer, so caches must keep them apart.
    let documents = gzipped
        .or(documents)
        .unify()
        .map(|reply| warp::reply::with_header(reply, header::VARY, "accept-encoding"));

    // The event stream is never compressed: many compressors hold bytes back until they have
    // enough to compress, and each connection would keep ~256 KiB of compressor state
    // (see README.md, "No compression on the event stream").
    let logout_switch = sse.logged_out.clone();
    let stats_logged_out = sse.logged_out.subscribe();
    let stats_clients = sse.clients.clone();
    // The query string as name/value pairs, in order, duplicates kept (so that a duplicate
    // `token` can be refused rather than silently picked).
    let query_pairs = || warp::query::<Vec<(String, String)>>();
    let events = warp::path!("sse")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(query_pairs())
        .map(move |headers, query: Vec<_>| sse.reply(&headers, &query));

    // `POST /logout?token=...`: from now on this token gets `204`, and its open streams end.
    let logout = warp::path!("logout")
        .and(warp::post())
        .and(query_pairs())
        .map(
            move |query: Vec<(String, String)>| match sse::token_of(&query) {
                Ok(Some(token)) => {
                    logout_switch.send_modify(|out| out.insert(token, Instant::now()));
                    tracing::info!("a token logged out: its event streams end");
                    StatusCode::NO_CONTENT.into_response()
                }
                Ok(None) => {
                    sse::bad_request("bad request: POST /logout?token=<the token to log out>")
                }
                Err(why) => sse::bad_request(&format!("bad token: {why}")),
            },
        );
    let stats = warp::path!("stats").and(warp::get()).map(move || {
        let mut stats = stats_clients.stats_json();
        stats["logged_out_tokens"] = stats_logged_out.borrow().len().into();
        warp::reply::json(&stats)
    });

    documents.or(events).or(logout).or(stats)
}

#[tokio::main]
async fn main() {
    serve::init_logs();
    let config = Config::from_env().unwrap_or_else(|message| serve::exit(2, &message));
    // `serve::run` reads its own settings (PORT, the timeouts); check them now too, so that a
    // typo is reported at once, not after connecting to MongoDB.
    serve::Settings::from_env();
    let uri = std::env::var("MONGODB_URI").unwrap_or_else(|_| mongo::DEFAULT_URI.to_owned());

    // As in lessons 04–05: connect once, open the one change stream, then serve.
    let opened = async {
        let posts = mongo::connect(&uri).await?;
        let changes = mongo::watch_inserts(&posts).await?;
        Ok::<_, mongo::StartupError>((posts, changes))
    };
    let (posts, changes) = match opened.await {
        Ok(opened) => opened,
        Err(err) => serve::exit(err.exit_code(), &err.to_string()),
    };
    tracing::info!(
        keep_alive_ms = config.keep_alive.as_millis() as u64,
        client_buffer = config.client_buffer,
        allowed_origins = ?config.allowed_origins,
        "watching collection `post` for inserts"
    );

    let clients = Clients::new(config.client_buffer);
    // Unlike lesson04 (six tries, then exit), this task never gives up: it reopens the change
    // stream after every failure, with a backoff, and tells the clients what happened.
    tokio::spawn(changes::follow(
        posts.clone(),
        changes,
        clients.clone(),
        config.reopen_backoff,
    ));

    // The shutdown switch: `serve::run` flips it on Ctrl-C / SIGTERM; every stream watches it.
    let (stop, stopping) = watch::channel(false);
    let sse = Sse {
        clients,
        keep_alive: config.keep_alive,
        allowed_origins: config.allowed_origins,
        stop: stopping,
        logged_out: watch::Sender::new(LoggedOut::default()),
    };
    serve::run(routes(sse, posts), stop).await;
}
