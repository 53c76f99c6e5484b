//! Lesson 07's exercises: `lessons/lesson07/exercises/`.

use harness::http;
use harness::sse::Dispatched;

use crate::expect::{self, STEP};
use crate::{Check, Mismatch, Program};

/// Each exercise of `lessons/lesson07/exercises/info.toml`, by number, and its check.
pub const CHECKS: &[(u8, Check)] = &[
    (1, |program| Box::pin(allowed_origin(program))),
    (2, |program| Box::pin(shutdown_reason(program))),
];

/// ex1: an allowed origin is echoed; another origin, or none, gets no `Access-Control-Allow-Origin`.
async fn allowed_origin(program: Program) -> Result<(), Mismatch> {
    let allowed = "https://app.example,http://localhost:5173";
    let lesson = program.start(&[("ALLOWED_ORIGINS", allowed)]).await;
    let cases = [
        (Some("https://app.example"), Some("https://app.example")),
        (Some("http://localhost:5173"), Some("http://localhost:5173")),
        (Some("https://evil.example"), None),
        (Some("https://app.example.evil.example"), None),
        (None, None),
    ];
    for (origin, want) in cases {
        let extra: Vec<(&str, &str)> = origin.map(|o| ("Origin", o)).into_iter().collect();
        let step = match origin {
            Some(origin) => format!("GET /sse with Origin: {origin} (ALLOWED_ORIGINS={allowed})"),
            None => "GET /sse without an Origin header".to_owned(),
        };
        let response = tokio::time::timeout(STEP, http::get(lesson.addr(), "/sse", &extra))
            .await
            .map_err(|_| Mismatch::new(&step, "a status line and headers", "nothing"))?;
        expect::status(&response, &step, "HTTP/1.1 200 OK")?;
        match want {
            Some(want) => {
                expect::header(&response, &step, "access-control-allow-origin", want)?
            }
            None => {
                if let Some(value) = response.header("access-control-allow-origin") {
                    return Err(Mismatch::new(
                        &format!("{step}: the access-control-allow-origin header"),
                        "no such header",
                        value,
                    ));
                }
            }
        }
    }
    Ok(())
}

/// ex2: on SIGTERM, `event: shutdown` with the reason as JSON, then the end, then exit 0.
async fn shutdown_reason(program: Program) -> Result<(), Mismatch> {
    // A reason with quotes and Korean: only real JSON encoding gets it right.
    let reason = "배포 중 \"v2\"";
    let mut lesson = program.start(&[("SHUTDOWN_REASON", reason)]).await;
    let mut response = expect::get(&lesson, "/sse").await?;
    expect::status(&response, "GET /sse", "HTTP/1.1 200 OK")?;
    expect::frame(&mut response, "GET /sse, frame 1", "retry: 3000\n\n", STEP).await?;

    if cfg!(not(unix)) {
        return Err(Mismatch::new(
            "sending SIGTERM to the server",
            "a system with Unix signals (Linux, macOS, WSL)",
            harness::process::SIGNALS_ARE_UNIX_ONLY,
        ));
    }
    lesson.send_signal("TERM");
    let want = "event: shutdown\ndata: {\"reason\":\"배포 중 \\\"v2\\\"\"}\n\n";
    let step = "GET /sse, after SIGTERM (SHUTDOWN_REASON='배포 중 \"v2\"')";
    expect::frame(&mut response, step, want, STEP).await?;
    expect::end(&mut response, "GET /sse, after the goodbye", STEP).await?;
    let events = expect::events_so_far(&response);
    let dispatched = vec![Dispatched::new(
        "shutdown",
        "{\"reason\":\"배포 중 \\\"v2\\\"\"}",
    )];
    if events != dispatched {
        return Err(Mismatch::new(
            "GET /sse, what an EventSource dispatches",
            &format!("{dispatched:?}"),
            &format!("{events:?}"),
        ));
    }
    let status = lesson.wait_for_exit().await;
    if status.code() != Some(0) {
        return Err(Mismatch::new(
            "the exit status after SIGTERM",
            "0",
            &format!("{status}"),
        ));
    }
    Ok(())
}
