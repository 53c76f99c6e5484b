//! Lesson 05: the final page. New posts appear at the top of every open page, live.
//!
//! This is where the notes end ([몽고DB-체인지스트림] 클라이언트사이드): the page listens for `newPost`,
//! parses the JSON and puts the post at the top of the list. Around it we build a small, complete
//! app: `GET /` the page (`assets/lesson05.html` and `.js`), `GET /posts` the latest posts and
//! `POST /posts` to write one (both in `posts.rs`, the checks in `new_post.rs`), and `GET /sse`, lesson04's
//! change-stream feed unchanged: the post a writer saves reaches every reader through MongoDB.
//!
//! Run it (MongoDB first; see README.md):
//!   cargo run -p practice-mongo          # in another terminal
//!   cargo run -p lesson05                # then open http://127.0.0.1:3000 in two windows

mod serve;

use std::convert::Infallible;

use lesson04::feed::Feed;
use lesson04::mongo;
use lesson05::posts;
use mongodb::bson::Document;
use mongodb::Collection;
use warp::http::header;
use warp::{Filter, Reply};

const PAGE: &str = include_str!("../../../assets/lesson05.html");
const SCRIPT: &str = include_str!("../../../assets/lesson05.js");
const STYLE: &str = include_str!("../../../assets/style.css");

fn routes(
    feed: Feed,
    collection: Collection<Document>,
) -> impl Filter<Extract = (impl Reply,), Error = Infallible> + Clone {
    let page = warp::path::end()
        .and(warp::get())
        .map(|| warp::reply::html(PAGE));
    let script = warp::path!("lesson05.js").and(warp::get()).map(|| {
        warp::reply::with_header(
            SCRIPT,
            header::CONTENT_TYPE,
            "text/javascript; charset=utf-8",
        )
    });
    let style = warp::path!("style.css")
        .and(warp::get())
        .map(|| warp::reply::with_header(STYLE, header::CONTENT_TYPE, "text/css; charset=utf-8"));
    // GET and POST /posts (posts.rs).
    let list_and_create = posts::routes(collection);
    let sse_feed = feed.clone();
    // lesson04's feed: each client subscribes to the one change stream.
    let sse = warp::path!("sse")
        .and(warp::get())
        .map(move || sse_feed.sse_reply());
    let stats = warp::path!("stats")
        .and(warp::get())
        .map(move || warp::reply::json(&feed.stats_json()));

    page.or(script)
        .or(style)
        .or(list_and_create)
        .or(sse)
        .or(stats)
        .recover(posts::rejection_reply)
}

#[tokio::main]
async fn main() {
    serve::init_logs();
    let uri = std::env::var("MONGODB_URI").unwrap_or_else(|_| mongo::DEFAULT_URI.to_owned());

    // Exactly as lesson04: connect once, open the one change stream, then serve.
    let opened = async {
        let posts = mongo::connect(&uri).await?;
        let feed = Feed::open(mongo::Watch::inserts(&posts)).await?;
        Ok::<_, mongo::StartupError>((posts, feed))
    };
    let (collection, (feed, feed_task)) = match opened.await {
        Ok(opened) => opened,
        Err(err) => serve::exit(err.exit_code(), &err.to_string()),
    };

    tokio::select! {
        () = serve::run(routes(feed, collection)) => {}
        stopped = feed_task => {
            let reason = stopped.unwrap_or_else(|err| format!("the change stream task failed: {err}"));
            serve::exit(1, &reason);
        }
    }
}
