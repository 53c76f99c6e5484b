//! Lesson 06: reconnect and resume. A client that was away gets exactly the posts it missed.
//!
//! lesson05's page had a gap: while its connection was down (a restarted server, a tunnel), posts
//! went by and never reached it as events, so it fetched the whole list again. Here every post
//! carries its change event's resume token as `id:` (`src/frames.rs`, `posts::resume_id`); the
//! browser sends the last one back as `Last-Event-ID` when it reconnects, and the server opens
//! that client's change stream right after it (`src/client_stream.rs`): the missed posts come
//! first, in order, then the live ones, on one cursor, with nothing lost and nothing twice.
//!
//! Run it (MongoDB first; see lesson04's README):
//!   cargo run -p practice-mongo          # in another terminal
//!   cargo run -p lesson06                # then open http://127.0.0.1:3000, stop and restart it

#[tokio::main]
async fn main() {
    // Connect, then serve the page, /posts, /sse and /stats (src/lib.rs).
    lesson06::serve().await
}
