//! What runs an exercise of this lesson: the lesson's own routes, with your body for `GET /sse`.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use futures::Stream;

/// ex1: serves the lesson with `body()` as the body of `GET /sse`.
pub async fn serve_ex1<S>(body: fn() -> S)
where
    S: Stream<Item = Result<Bytes, Infallible>> + Send + Sync + 'static,
{
    startup::run(crate::routes(body)).await
}

/// ex2: serves the lesson with `body(delay)` as the body of `GET /sse`; `delay` is
/// `SECOND_WRITE_MS`, default 3000 (the checker sets it lower so that it does not wait 3 s).
pub async fn serve_ex2<S>(body: fn(Duration) -> S)
where
    S: Stream<Item = Result<Bytes, Infallible>> + Send + Sync + 'static,
{
    let delay = startup::settings::millis("SECOND_WRITE_MS", Duration::from_millis(3000));
    startup::run(crate::routes(move || body(delay))).await
}
