//! Lesson 07: the lesson04–05 feed, run as a production service. What is where: `src/lib.rs`.
//!
//! Run it (MongoDB first, as in lesson04):
//!   cargo run -p practice-mongo                       # in another terminal
//!   cargo run -p lesson07                             # then open http://127.0.0.1:3000
//!   cargo run -p lesson04 --bin insert-post -- 제목   # insert a post

use lesson07::config::Config;

#[tokio::main]
async fn main() {
    // Logging first, so that `DATABASE CONNECTED` (or why not) is logged.
    startup::init_logs();
    // Every setting is checked before connecting: a typo is reported at once.
    let config = Config::from_env().unwrap_or_else(|message| startup::exit(2, &message));
    startup::graceful::check_settings();
    // As in lessons 04–05: connect once, open the one change stream, then serve.
    let (posts, changes) = lesson07::connect().await;
    let (routes, stop) = lesson07::service(config, posts, changes);
    // Ctrl-C or SIGTERM: stop accepting, say goodbye to every stream, wait (with a deadline).
    startup::graceful::run(routes, stop).await;
}
