//! lesson02: the same four events, hand-written on `/sse` and written by warp on `/sse/warp`,
//! checked byte for byte, and proven to mean the same events to a spec-following client.

mod bad_requests;

use std::time::Duration;

use harness::sse::{self, Dispatched};
use harness::{Lesson, Response};

/// `/sse`: `event: x` with a space, as in the notes.
const HAND_WRITTEN: &str = "data: 이름 없는 메시지\n\n\
    event: 이벤트명\ndata: 데이터\n\n\
    event: json\ndata: {\"a\":\"abc\"}\n\n\
    event: lines\ndata: 첫째 줄\ndata: 둘째 줄\ndata: 셋째 줄\n\n";

/// `/sse/warp`: warp's own layout, `event:x` with no space.
const WARP_WRITTEN: &str = "data:이름 없는 메시지\n\n\
    event:이벤트명\ndata:데이터\n\n\
    event:json\ndata:{\"a\":\"abc\"}\n\n\
    event:lines\ndata:첫째 줄\ndata:둘째 줄\ndata:셋째 줄\n\n";

fn expected_events() -> Vec<Dispatched> {
    vec![
        Dispatched::new("message", "이름 없는 메시지"),
        Dispatched::new("이벤트명", "데이터"),
        Dispatched::new("json", r#"{"a":"abc"}"#),
        Dispatched::new("lines", "첫째 줄\n둘째 줄\n셋째 줄"),
    ]
}

/// Reads the four frames one at a time, as they arrive, and checks each one; then that the body
/// is exactly those bytes and that the stream stays open with nothing more.
async fn expect_only_frames(response: &mut Response, expected: &str) {
    for want in expected.split_inclusive("\n\n") {
        assert_eq!(response.next_frame().await, want);
    }
    assert_eq!(response.body_so_far(), expected.as_bytes());
    response
        .assert_open_and_quiet_for(Duration::from_millis(300))
        .await;
}

#[tokio::test]
async fn hand_written_frames_byte_for_byte() {
    let lesson = Lesson::start("lesson02").await;
    let mut response = lesson.get("/sse").await;
    response.assert_event_stream_head();
    assert_eq!(response.header("connection"), Some("keep-alive"));
    assert_eq!(response.header("content-length"), None);

    expect_only_frames(&mut response, HAND_WRITTEN).await;
}

#[tokio::test]
async fn warp_frames_byte_for_byte() {
    let lesson = Lesson::start("lesson02").await;
    let mut response = lesson.get("/sse/warp").await;
    response.assert_event_stream_head();
    assert_eq!(response.header("connection"), None, "warp does not add it");

    expect_only_frames(&mut response, WARP_WRITTEN).await;
}

#[tokio::test]
async fn both_layouts_give_the_browser_the_same_events() {
    let lesson = Lesson::start("lesson02").await;
    for path in ["/sse", "/sse/warp"] {
        let mut response = lesson.get(path).await;
        for _ in 0..4 {
            response.next_frame().await;
        }
        let (events, retry) = sse::parse(response.body_so_far());
        assert_eq!(events, expected_events(), "events from {path}");
        assert_eq!(retry, None);
    }
}

#[tokio::test]
async fn page_listens_for_every_event() {
    let lesson = Lesson::start("lesson02").await;
    let mut page = lesson.get("/").await;
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = String::from_utf8(page.read_to_end().await).expect("the page is UTF-8");
    for needle in [
        "addEventListener('이벤트명'",
        "addEventListener('json'",
        "addEventListener('lines'",
        "onmessage",
        "JSON.parse(e.data)",
        "new EventSource(url)",
        "listen('/sse',",
        "listen('/sse/warp',",
    ] {
        assert!(html.contains(needle), "the page should contain {needle:?}");
    }
}

/// Issue 13, item 8: bad input gets a clear 4xx, and the next request is served.
#[tokio::test]
async fn bad_requests_get_a_clear_4xx_and_the_server_keeps_serving() {
    bad_requests::check_lesson(
        "lesson02",
        [
            // lesson02 reads no query string and no header: they change nothing.
            bad_requests::row(
                "a query string on /sse/warp (not read)",
                "GET /sse/warp?x=%ZZ HTTP/1.1\r\nHost: x\r\n\r\n",
                200,
            ),
            bad_requests::row(
                "invalid UTF-8 in Last-Event-ID (not read)",
                b"GET /sse HTTP/1.1\r\nHost: x\r\nLast-Event-ID: \xff\xfe\r\n\r\n".to_vec(),
                200,
            ),
            bad_requests::row(
                "/sse/warp/more",
                "GET /sse/warp/more HTTP/1.1\r\nHost: x\r\n\r\n",
                404,
            ),
            bad_requests::row(
                "POST /sse/warp",
                "POST /sse/warp HTTP/1.1\r\nHost: x\r\n\r\n",
                405,
            ),
        ],
    )
    .await;
}
