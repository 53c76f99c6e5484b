//! Lesson 02's exercises: `lessons/lesson02/exercises/`.

use std::time::Duration;

use harness::sse::Dispatched;

use crate::expect::{self, STEP};
use crate::{Check, Mismatch, Program};

/// Each exercise of `lessons/lesson02/exercises/info.toml`, by number, and its check.
pub const CHECKS: &[(u8, Check)] = &[
    (1, |program| Box::pin(id_and_retry(program))),
    (2, |program| Box::pin(heartbeat(program))),
];

/// The lesson's four events as `/sse` writes them, without ids.
const DEMO_FRAMES: [&str; 4] = [
    "data: 이름 없는 메시지\n\n",
    "event: 이벤트명\ndata: 데이터\n\n",
    "event: json\ndata: {\"a\":\"abc\"}\n\n",
    "event: lines\ndata: 첫째 줄\ndata: 둘째 줄\ndata: 셋째 줄\n\n",
];

fn demo_events() -> Vec<Dispatched> {
    vec![
        Dispatched::new("message", "이름 없는 메시지"),
        Dispatched::new("이벤트명", "데이터"),
        Dispatched::new("json", r#"{"a":"abc"}"#),
        Dispatched::new("lines", "첫째 줄\n둘째 줄\n셋째 줄"),
    ]
}

/// ex1: `retry: 5000`, the four events with ids 1 to 4, then the end of the response.
async fn id_and_retry(program: Program) -> Result<(), Mismatch> {
    let lesson = program.start(&[]).await;
    let mut response = expect::get(&lesson, "/sse").await?;
    expect::status(&response, "GET /sse", "HTTP/1.1 200 OK")?;
    expect::header(&response, "GET /sse", "content-type", "text/event-stream")?;
    let want = [
        "retry: 5000\n\n",
        "data: 이름 없는 메시지\nid: 1\n\n",
        "event: 이벤트명\ndata: 데이터\nid: 2\n\n",
        "event: json\ndata: {\"a\":\"abc\"}\nid: 3\n\n",
        "event: lines\ndata: 첫째 줄\ndata: 둘째 줄\ndata: 셋째 줄\nid: 4\n\n",
    ];
    for (n, frame) in want.iter().enumerate() {
        let step = format!("GET /sse, block {}", n + 1);
        expect::frame(&mut response, &step, frame, STEP).await?;
    }
    expect::end(&mut response, "GET /sse, after the last event", STEP).await?;

    // What the page sees: the same events, each with its lastEventId, and a 5 s retry.
    let (events, retry) = harness::sse::parse(response.body_so_far());
    let mut expected = demo_events();
    for (id, event) in expected.iter_mut().enumerate() {
        event.last_event_id = (id + 1).to_string();
    }
    if events != expected || retry != Some(5000) {
        return Err(Mismatch::new(
            "GET /sse, what an EventSource makes of it",
            &format!("{expected:?} with retry Some(5000)"),
            &format!("{events:?} with retry {retry:?}"),
        ));
    }
    Ok(())
}

/// ex2: the four events, then `: ping` every `HEARTBEAT_MS`, and the page still sees four events.
async fn heartbeat(program: Program) -> Result<(), Mismatch> {
    let every = Duration::from_millis(100);
    let lesson = program
        .start(&[("HEARTBEAT_MS", &every.as_millis().to_string())])
        .await;
    let mut response = expect::get(&lesson, "/sse").await?;
    expect::status(&response, "GET /sse", "HTTP/1.1 200 OK")?;
    for (n, frame) in DEMO_FRAMES.iter().enumerate() {
        let step = format!("GET /sse, event {}", n + 1);
        expect::frame(&mut response, &step, frame, STEP).await?;
    }
    for n in 1..=3 {
        let step = format!("GET /sse, heartbeat {n} (HEARTBEAT_MS=100)");
        expect::frame(&mut response, &step, ": ping\n\n", every + STEP).await?;
    }
    let events = expect::events_so_far(&response);
    if events != demo_events() {
        return Err(Mismatch::new(
            "GET /sse, what an EventSource dispatches (comments dispatch nothing)",
            &format!("{:?}", demo_events()),
            &format!("{events:?}"),
        ));
    }
    Ok(())
}
