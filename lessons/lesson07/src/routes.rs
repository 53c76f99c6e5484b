//! Every route of the service: the page and `GET /posts` (gzipped for clients that accept it),
//! `GET /sse` (never compressed), `POST /logout` and `GET /stats`.

use mongodb::bson::Document;
use mongodb::Collection;
use tokio::time::Instant;
use warp::http::{header, StatusCode};
use warp::{Filter, Rejection, Reply};

use crate::sse::{self, Sse};

const PAGE: &str = include_str!("../../../assets/lesson07.html");

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

/// The routes of one instance of the service (see `crate::service`).
pub fn routes(
    sse: Sse,
    posts: Collection<Document>,
) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    // The routes whose bodies are finite: worth compressing. The page and its style as in every
    // lesson (`sse_kit::page`), and `GET /posts` as in lesson05 (`posts::routes`).
    let page = warp::get()
        .and(sse_kit::page::page(PAGE))
        .map(Reply::into_response);
    let list = warp::path!("posts")
        .and(warp::get())
        .and(warp::any().map(move || posts.clone()))
        .and_then(posts::routes::list_posts);
    let documents = page.or(list).unify();
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
