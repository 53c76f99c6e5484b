//! Lesson 04: one change stream for the whole server.
//!
//! The notes ([몽고DB-체인지스트림]) open a change stream once in `main()` and send every inserted
//! post to the browser as `event: newPost`. This lesson does the same: `mongo.rs` connects and opens
//! the stream, `feed.rs` reads it in one task and fans it out to every `/sse` client through a
//! broadcast channel, `node_json.rs` writes each document exactly as `JSON.stringify` would.
//!
//! Run it (MongoDB first; see README.md):
//!   cargo run -p practice-mongo                       # a practice server, in another terminal
//!   cargo run -p lesson04                             # then open http://127.0.0.1:3000
//!   cargo run -p lesson04 --bin insert-post -- 제목   # insert a post: it appears on the page

mod serve;

use lesson04::feed::Feed;
use lesson04::mongo;
use warp::http::header;
use warp::Filter;

const PAGE: &str = include_str!("../../../assets/lesson04.html");
const STYLE: &str = include_str!("../../../assets/style.css");

fn routes(
    feed: Feed,
) -> impl Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone {
    let page = warp::path::end().map(|| warp::reply::html(PAGE));
    let style = warp::path!("style.css")
        .map(|| warp::reply::with_header(STYLE, header::CONTENT_TYPE, "text/css; charset=utf-8"));
    // The route gets its own clone of the feed (a handle on the one channel): in the notes the
    // route cannot see `changeStream`, a local variable of main().
    let sse_feed = feed.clone();
    // Each client subscribes to the one feed (see `Feed::sse_reply` in feed.rs).
    let sse = warp::path!("sse").map(move || sse_feed.sse_reply());
    let stats = warp::path!("stats").map(move || warp::reply::json(&feed.stats_json()));
    warp::get().and(page.or(style).or(sse).or(stats))
}

#[tokio::main]
async fn main() {
    serve::init_logs();
    let uri = std::env::var("MONGODB_URI").unwrap_or_else(|_| mongo::DEFAULT_URI.to_owned());

    // As in the notes' main(): connect once, open the change stream once, before serving.
    // (`Feed::open` also keeps what it needs to open the stream again if MongoDB restarts.)
    let opened = async {
        let posts = mongo::connect(&uri).await?;
        Feed::open(mongo::Watch::inserts(&posts)).await
    };
    let (feed, feed_task) = match opened.await {
        Ok(opened) => opened,
        Err(err) => serve::exit(err.exit_code(), &err.to_string()),
    };
    tracing::info!("watching collection `post` for inserts: one change stream for every client");

    tokio::select! {
        () = serve::run(routes(feed)) => {}
        // The feed gave up (MongoDB stayed away): this server has nothing left to send.
        stopped = feed_task => {
            let reason = stopped.unwrap_or_else(|err| format!("the change stream task failed: {err}"));
            serve::exit(1, &reason);
        }
    }
}
