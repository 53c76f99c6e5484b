//! Lesson 03's exercises: `lessons/lesson03/exercises/`.

use std::time::Duration;

use crate::expect::{self, quoted, STEP};
use crate::{Check, Mismatch, Program};

/// Each exercise of `lessons/lesson03/exercises/info.toml`, by number, and its check.
pub const CHECKS: &[(u8, Check)] = &[
    (1, |program| Box::pin(period_from_query(program))),
    (2, |program| Box::pin(done_after_n(program))),
];

/// ex1: `?ms=50` ticks fast although the server's period is a minute; bad values get a 400.
async fn period_from_query(program: Program) -> Result<(), Mismatch> {
    // The server's own period is a minute, so a tick within seconds can only come from `?ms=`.
    let lesson = program.start(&[("TICK_MS", "60000")]).await;
    let mut response = expect::get(&lesson, "/sse?ms=50").await?;
    expect::status(&response, "GET /sse?ms=50", "HTTP/1.1 200 OK")?;
    expect::header(
        &response,
        "GET /sse?ms=50",
        "content-type",
        "text/event-stream",
    )?;
    for n in 1..=3 {
        let step = format!("GET /sse?ms=50 (while TICK_MS=60000), frame {n}");
        expect::frame(&mut response, &step, &format!("data:tick {n}\n\n"), STEP).await?;
    }

    // Without `?ms=`, the server's period still applies: the stream opens and stays quiet.
    let mut plain = expect::get(&lesson, "/sse").await?;
    expect::status(&plain, "GET /sse", "HTTP/1.1 200 OK")?;
    expect::quiet(
        &mut plain,
        "GET /sse (TICK_MS=60000)",
        Duration::from_millis(200),
    )
    .await?;

    for bad in ["0", "abc", "-5", "1.5", "60001", ""] {
        let path = format!("/sse?ms={bad}");
        let mut refused = expect::get(&lesson, &path).await?;
        expect::status(&refused, &format!("GET {path}"), "HTTP/1.1 400 Bad Request")?;
        expect::header(
            &refused,
            &format!("GET {path}"),
            "content-type",
            "text/plain; charset=utf-8",
        )?;
        let want =
            format!("ms must be a whole number of milliseconds from 1 to 60000; got {bad:?}");
        let body = tokio::time::timeout(STEP, refused.read_to_end()).await;
        match body {
            Ok(body) if body == want.as_bytes() => {}
            Ok(body) => {
                return Err(Mismatch::new(
                    &format!("GET {path}: the body"),
                    &quoted(want.as_bytes()),
                    &quoted(&body),
                ))
            }
            Err(_) => {
                return Err(Mismatch::new(
                    &format!("GET {path}: the body"),
                    &quoted(want.as_bytes()),
                    &format!("no end of the body within {STEP:?}"),
                ))
            }
        }
    }
    Ok(())
}

/// ex2: five ticks, `event:done` with data 5, the end, and the timer dropped.
async fn done_after_n(program: Program) -> Result<(), Mismatch> {
    let lesson = program.start(&[("TICK_MS", "50")]).await;
    let mut response = expect::get(&lesson, "/sse").await?;
    expect::status(&response, "GET /sse", "HTTP/1.1 200 OK")?;
    for n in 1..=5 {
        let step = format!("GET /sse, frame {n}");
        expect::frame(&mut response, &step, &format!("data:tick {n}\n\n"), STEP).await?;
    }
    expect::frame(
        &mut response,
        "GET /sse, frame 6",
        "event:done\ndata:5\n\n",
        STEP,
    )
    .await?;
    expect::end(&mut response, "GET /sse, after `done`", STEP).await?;

    // The stream has ended, so its timer (and the guard in it) must be gone.
    let dropped = tokio::time::timeout(
        STEP,
        lesson.wait_for_json("/stats", "open_streams == 0", |stats| {
            stats["open_streams"] == 0
        }),
    )
    .await;
    if dropped.is_err() {
        let stats = lesson.get_json("/stats").await;
        return Err(Mismatch::new(
            "GET /stats, after the stream ended",
            "\"open_streams\": 0 (the timer is dropped with the stream)",
            &stats.to_string(),
        ));
    }
    Ok(())
}
