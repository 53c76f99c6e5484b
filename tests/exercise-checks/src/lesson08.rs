//! Lesson 08's exercises: `lessons/lesson08/exercises/`.

use std::time::Duration;

use tokio::time::Instant;

use crate::mongo::start_with_mongo;
use crate::expect::{self, STEP};
use crate::{Check, Mismatch, Program};

/// Each exercise of `lessons/lesson08/exercises/info.toml`, by number, and its check.
pub const CHECKS: &[(u8, Check)] = &[
    (1, |program| Box::pin(proxy_headers(program))),
    (2, |program| Box::pin(keep_alive_period(program))),
];

/// ex1: `/sse` says `X-Accel-Buffering: no` and `Cache-Control: no-cache, no-transform`.
async fn proxy_headers(program: Program) -> Result<(), Mismatch> {
    let (lesson, _posts, _client, _mongo) = start_with_mongo(&program, &[]).await?;
    let mut response = expect::get(&lesson, "/sse").await?;
    expect::status(&response, "GET /sse", "HTTP/1.1 200 OK")?;
    expect::header(&response, "GET /sse", "content-type", "text/event-stream")?;
    expect::header(&response, "GET /sse", "x-accel-buffering", "no")?;
    let cache_control = response.header("cache-control").unwrap_or("no such header");
    let directives: Vec<String> = cache_control
        .split(',')
        .map(|d| d.trim().to_ascii_lowercase())
        .collect();
    if !["no-cache", "no-transform"]
        .iter()
        .all(|want| directives.iter().any(|d| d == want))
    {
        return Err(Mismatch::new(
            "GET /sse: the cache-control header",
            "no-cache, no-transform",
            cache_control,
        ));
    }
    expect::frame(&mut response, "GET /sse, frame 1", "retry: 3000\n\n", STEP).await
}

/// ex2: with `PROXY_READ_TIMEOUT_MS=1000`, a quiet stream gets `: keep-alive` at least every
/// 500 ms (half the timeout, with some slack for a busy machine) and not more often than every
/// 50 ms.
async fn keep_alive_period(program: Program) -> Result<(), Mismatch> {
    let (lesson, _posts, _client, _mongo) =
        start_with_mongo(&program, &[("PROXY_READ_TIMEOUT_MS", "1000")]).await?;
    let mut response = expect::get(&lesson, "/sse").await?;
    expect::status(&response, "GET /sse", "HTTP/1.1 200 OK")?;
    expect::frame(&mut response, "GET /sse, frame 1", "retry: 3000\n\n", STEP).await?;
    let most = Duration::from_millis(600);
    let least = Duration::from_millis(50);
    let mut last = Instant::now();
    for n in 1..=4 {
        let step = format!(
            "GET /sse with PROXY_READ_TIMEOUT_MS=1000 and no posts: comment {n}, due within \
             half the timeout (500 ms)"
        );
        expect::frame(&mut response, &step, ": keep-alive\n\n", most).await?;
        let gap = last.elapsed();
        last = Instant::now();
        if gap < least {
            return Err(Mismatch::new(
                &format!("GET /sse: the time before comment {n}"),
                "at least 50 ms (a quarter of the timeout is a good choice)",
                &format!("{gap:?}"),
            ));
        }
    }
    Ok(())
}
