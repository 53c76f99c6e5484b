//! Lesson 04: one change stream for the whole server.
//!
//! The notes ([몽고DB-체인지스트림]) open a change stream once in `main()` and send every inserted
//! post to the browser as `event: newPost`. This lesson does the same, with the `posts` crate
//! (lessons 05–08 use it too): `posts::serve_feed::run` connects once and opens the one change
//! stream once, before serving; `posts::feed` reads it in one task and fans it out to every
//! `/sse` client through a broadcast channel; `posts::json_stringify` writes each document
//! exactly as `JSON.stringify` would. The routes are in `src/lib.rs`.
//!
//! Run it (MongoDB first; see README.md):
//!   cargo run -p practice-mongo                       # a practice server, in another terminal
//!   cargo run -p lesson04                             # then open http://127.0.0.1:3000
//!   cargo run -p lesson04 --bin insert-post -- 제목   # insert a post: it appears on the page

use posts::{feed, mongo, serve_feed};

#[tokio::main]
async fn main() {
    // The notes' pipeline (inserts only), each insert sent as `event: newPost`.
    serve_feed::run(mongo::only_inserts(), feed::new_post_event, |_, feed| {
        lesson04::routes(feed)
    })
    .await
}
