//! lesson04's `main()`, for every program that serves the one feed (lessons 04 and 05 and their
//! exercises): connect once, open the one change stream once, and only then serve.
//!
//! This is the notes' `main()` in [몽고DB-체인지스트림]: `mongoose.connect(...)`, then
//! `db.collection('post').watch([...])`, once, before the server takes any request.

use mongodb::bson::Document;
use mongodb::Collection;
use warp::{Filter, Reply};

use crate::feed::{Feed, ToFrame};
use crate::mongo::{self, StartupError, Watch};

/// Connects to `MONGODB_URI` (default [`mongo::DEFAULT_URI`]), opens the one change stream of
/// collection `post` through `pipeline`, with `to_frame` choosing each client's frame, then
/// serves `routes(posts, feed)` (`startup::run`) until Ctrl-C.
///
/// A start-up error ends the program with its message and exit code (see
/// [`StartupError::exit_code`]); so does the feed when it gives up (MongoDB stayed away): a
/// server with nothing left to send says why and stops.
pub async fn run<R, F>(pipeline: Vec<Document>, to_frame: ToFrame, routes: R)
where
    R: FnOnce(Collection<Document>, Feed) -> F,
    F: Filter + Clone + Send + Sync + 'static,
    F::Extract: Reply,
{
    // Logging starts before connecting, so that `DATABASE CONNECTED` (or why not) is logged.
    startup::init_logs();
    let uri = mongo::uri_from_env();
    let opened = async {
        let posts = mongo::connect(&uri).await?;
        // `Feed` keeps the `Watch` to open the stream again if MongoDB restarts.
        let feed = Feed::open_with(Watch::new(&posts, pipeline), to_frame).await?;
        Ok::<_, StartupError>((posts, feed))
    };
    let (posts, (feed, feed_task)) = match opened.await {
        Ok(opened) => opened,
        Err(err) => startup::exit(err.exit_code(), &err.to_string()),
    };
    tracing::info!("watching collection `post`: one change stream for every client");

    tokio::select! {
        () = startup::run(routes(posts, feed)) => {}
        // The feed gave up (MongoDB stayed away): this server has nothing left to send.
        stopped = feed_task => {
            let reason = stopped.unwrap_or_else(|err| format!("the change stream task failed: {err}"));
            startup::exit(1, &reason);
        }
    }
}
