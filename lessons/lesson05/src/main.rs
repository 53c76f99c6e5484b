//! Lesson 05: the final page. New posts appear at the top of every open page, live.
//!
//! This is where the notes end ([몽고DB-체인지스트림] 클라이언트사이드): the page listens for `newPost`,
//! parses the JSON and puts the post at the top of the list. Around it we build a small, complete
//! app (the routes are in `src/lib.rs`): `GET /` the page (`assets/lesson05.html` and `.js`),
//! `GET /posts` the latest posts and `POST /posts` to write one (`posts::routes`, the checks in
//! `posts::new_post`), and `GET /sse`, lesson04's change-stream feed unchanged: the post a writer
//! saves reaches every reader through MongoDB.
//!
//! Run it (MongoDB first; see README.md):
//!   cargo run -p practice-mongo          # in another terminal
//!   cargo run -p lesson05                # then open http://127.0.0.1:3000 in two windows

use posts::{feed, mongo, serve_feed};

#[tokio::main]
async fn main() {
    // Exactly as lesson04: connect once, open the one change stream, then serve.
    serve_feed::run(
        mongo::only_inserts(),
        feed::new_post_event,
        lesson05::routes,
    )
    .await
}
