//! Lesson 01's exercises: `lessons/lesson01/exercises/`.

use std::time::Duration;

use harness::sse::Dispatched;
use tokio::time::Instant;

use crate::expect::{self, STEP};
use crate::{Check, Mismatch, Program};

/// Each exercise of `lessons/lesson01/exercises/info.toml`, by number, and its check.
pub const CHECKS: &[(u8, Check)] = &[
    (1, |program| Box::pin(framed(program))),
    (2, |program| Box::pin(second_write(program))),
];

/// ex1: `GET /sse` sends exactly `data: 데이터\n\n` and stays open.
async fn framed(program: Program) -> Result<(), Mismatch> {
    let lesson = program.start(&[]).await;
    let mut response = expect::get(&lesson, "/sse").await?;
    expect::status(&response, "GET /sse", "HTTP/1.1 200 OK")?;
    expect::header(&response, "GET /sse", "content-type", "text/event-stream")?;
    expect::frame(&mut response, "GET /sse, frame 1", "data: 데이터\n\n", STEP).await?;
    expect::quiet(
        &mut response,
        "GET /sse, after frame 1",
        Duration::from_millis(300),
    )
    .await?;
    let events = expect::events_so_far(&response);
    let want = vec![Dispatched::new("message", "데이터")];
    if events != want {
        return Err(Mismatch::new(
            "GET /sse, what an EventSource dispatches",
            &format!("{want:?}"),
            &format!("{events:?}"),
        ));
    }
    Ok(())
}

/// ex2: `데이터` at once, `또 데이터` after `SECOND_WRITE_MS`, then the end of the response.
async fn second_write(program: Program) -> Result<(), Mismatch> {
    let delay = Duration::from_millis(300);
    let lesson = program
        .start(&[("SECOND_WRITE_MS", &delay.as_millis().to_string())])
        .await;
    let asked = Instant::now();
    let mut response = expect::get(&lesson, "/sse").await?;
    expect::status(&response, "GET /sse", "HTTP/1.1 200 OK")?;
    expect::header(&response, "GET /sse", "content-type", "text/event-stream")?;
    expect::bytes(
        &mut response,
        "GET /sse, the first write",
        "데이터".as_bytes(),
        STEP,
    )
    .await?;
    let step = "GET /sse, the second write (SECOND_WRITE_MS=300)";
    expect::bytes(&mut response, step, "또 데이터".as_bytes(), delay + STEP).await?;
    let waited = asked.elapsed();
    if waited < delay {
        return Err(Mismatch::new(
            step,
            &format!("to arrive at least {delay:?} after the request"),
            &format!("it arrived after {waited:?}"),
        ));
    }
    expect::end(&mut response, "GET /sse, after the second write", STEP).await
}
