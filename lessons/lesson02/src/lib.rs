//! Lesson 02: the named-event format. The routes are in `src/main.rs`; this file holds what they
//! share with the exercises (the four demo events, the pages) and what runs an exercise
//! ([`exercise`]). The frame itself is written by `sse_kit::frame` (lessons/sse-kit/src/frame.rs),
//! which this lesson teaches.

pub mod exercise;

/// The lesson's page: the same events from `/sse` and `/sse/warp`, side by side.
pub const PAGE: &str = include_str!("../../../assets/lesson02.html");
/// The exercises' page: each event with its `lastEventId`, and every open and error.
pub const EXERCISE_PAGE: &str = include_str!("../../../assets/lesson02-exercises.html");

/// The four events of this lesson, in order: (event name, data).
pub fn demo_events() -> Vec<(Option<&'static str>, String)> {
    vec![
        // No name: the page's `onmessage` gets it (its type is "message").
        (None, "이름 없는 메시지".to_owned()),
        // The notes' example: a name the page listens for, and a plain string.
        (Some("이벤트명"), "데이터".to_owned()),
        // JSON in data, like the notes' {"a": "abc"}: what JSON.stringify would send.
        (Some("json"), serde_json::json!({ "a": "abc" }).to_string()),
        // Several lines, with both line endings: each line becomes its own `data:` line.
        (Some("lines"), "첫째 줄\n둘째 줄\r\n셋째 줄".to_owned()),
    ]
}
