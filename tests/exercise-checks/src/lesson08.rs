//! Lesson 08's exercises: `lessons/lesson08/exercises/`.

use std::time::Duration;

use practice_mongo::test_support::TestMongo;
use tokio::time::Instant;

use crate::mongo::start_with_mongo;
use crate::wire::{self, STEP};
use crate::{Exercise, LessonExercises, Mismatch, Program};

pub fn lesson() -> LessonExercises {
    LessonExercises::new(
        8,
        vec![
            Exercise::new(8, 1, "ex1_proxy_headers", |program| {
                Box::pin(proxy_headers(program))
            }),
            Exercise::new(8, 2, "ex2_keep_alive_period", |program| {
                Box::pin(keep_alive_period(program))
            }),
        ],
    )
}

/// ex1: `/sse` says `X-Accel-Buffering: no` and `Cache-Control: no-cache, no-transform`.
async fn proxy_headers(program: Program) -> Result<(), Mismatch> {
    let (lesson, _posts, _client, _mongo) = start_with_mongo(&program).await?;
    let mut response = wire::get(&lesson, "/sse").await?;
    wire::expect_status(&response, "GET /sse", "HTTP/1.1 200 OK")?;
    wire::expect_header(&response, "GET /sse", "content-type", "text/event-stream")?;
    wire::expect_header(&response, "GET /sse", "x-accel-buffering", "no")?;
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
    wire::expect_frame(&mut response, "GET /sse, frame 1", "retry: 3000\n\n", STEP).await
}

/// ex2: with `PROXY_READ_TIMEOUT_MS=1000`, a quiet stream gets `: keep-alive` at least every
/// 500 ms (half the timeout, with some slack for a busy machine) and not more often than every
/// 50 ms.
async fn keep_alive_period(program: Program) -> Result<(), Mismatch> {
    let mongo = TestMongo::start()
        .await
        .map_err(|e| Mismatch::stopped(&format!("no MongoDB for the check: {e}")))?;
    let uri = mongo.uri_for_db();
    let env = [
        ("MONGODB_URI", uri.as_str()),
        ("PROXY_READ_TIMEOUT_MS", "1000"),
    ];
    let lesson = program.start(&env).await;
    let mut response = wire::get(&lesson, "/sse").await?;
    wire::expect_status(&response, "GET /sse", "HTTP/1.1 200 OK")?;
    wire::expect_frame(&mut response, "GET /sse, frame 1", "retry: 3000\n\n", STEP).await?;
    let most = Duration::from_millis(600);
    let least = Duration::from_millis(50);
    let mut last = Instant::now();
    for n in 1..=4 {
        let step = format!(
            "GET /sse with PROXY_READ_TIMEOUT_MS=1000 and no posts: comment {n}, due within \
             half the timeout (500 ms)"
        );
        wire::expect_frame(&mut response, &step, ": keep-alive\n\n", most).await?;
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
