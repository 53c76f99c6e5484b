//! Lesson 01's exercises: `lessons/lesson01/exercises/`.

use std::time::Duration;

use harness::sse::Dispatched;
use tokio::time::Instant;

use crate::wire::{self, STEP};
use crate::{Exercise, LessonExercises, Mismatch, Program, Text};

pub fn lesson() -> LessonExercises {
    LessonExercises {
        number: 1,
        title: Text {
            ko: "끊기지 않는 응답",
            en: "A response that stays open",
        },
        exercises: vec![
            Exercise::new(
                1,
                1,
                "ex1_framed",
                Text {
                    ko: "EventSource가 받도록 프레임으로 쓰기",
                    en: "Make the EventSource see the write",
                },
                Text {
                    ko: "EventSource는 `data:` 줄과 그 뒤의 빈 줄이 있어야 이벤트를 내보냅니다. 바이트로 쓰면 \"data: 데이터\\n\\n\"입니다. `stream::pending()`은 그대로 두세요.",
                    en: "An EventSource dispatches an event at a `data:` line followed by a blank line: as bytes, \"data: 데이터\\n\\n\". Keep the `stream::pending()`.",
                },
                |program| Box::pin(framed(program)),
            ),
            Exercise::new(
                1,
                2,
                "ex2_second_write",
                Text {
                    ko: "3초 뒤 두 번째 쓰기, 그리고 응답 끝내기",
                    en: "A second write three seconds later, then the end",
                },
                Text {
                    ko: "`stream::once(async move { tokio::time::sleep(delay).await; ... })`를 첫 번째 스트림 뒤에 `.chain(...)`으로 붙이고, `stream::pending()`은 지우세요. 스트림이 끝나면 응답도 끝납니다.",
                    en: "Chain `stream::once(async move { tokio::time::sleep(delay).await; ... })` after the first stream and drop `stream::pending()`: when the stream ends, the response ends.",
                },
                |program| Box::pin(second_write(program)),
            ),
        ],
    }
}

/// ex1: `GET /sse` sends exactly `data: 데이터\n\n` and stays open.
async fn framed(program: Program) -> Result<(), Mismatch> {
    let lesson = program.start(&[]).await;
    let mut response = wire::get(&lesson, "/sse").await?;
    wire::expect_status(&response, "GET /sse", "HTTP/1.1 200 OK")?;
    wire::expect_header(&response, "GET /sse", "content-type", "text/event-stream")?;
    wire::expect_frame(&mut response, "GET /sse, frame 1", "data: 데이터\n\n", STEP).await?;
    wire::expect_quiet(
        &mut response,
        "GET /sse, after frame 1",
        Duration::from_millis(300),
    )
    .await?;
    let events = wire::events_so_far(&response);
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
    let mut response = wire::get(&lesson, "/sse").await?;
    wire::expect_status(&response, "GET /sse", "HTTP/1.1 200 OK")?;
    wire::expect_header(&response, "GET /sse", "content-type", "text/event-stream")?;
    wire::expect_bytes(
        &mut response,
        "GET /sse, the first write",
        "데이터".as_bytes(),
        STEP,
    )
    .await?;
    let step = "GET /sse, the second write (SECOND_WRITE_MS=300)";
    wire::expect_bytes(&mut response, step, "또 데이터".as_bytes(), delay + STEP).await?;
    let waited = asked.elapsed();
    if waited < delay {
        return Err(Mismatch::new(
            step,
            &format!("to arrive at least {delay:?} after the request"),
            &format!("it arrived after {waited:?}"),
        ));
    }
    wire::expect_end(&mut response, "GET /sse, after the second write", STEP).await
}
