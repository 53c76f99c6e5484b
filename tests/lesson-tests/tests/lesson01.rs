//! lesson01: `GET /sse` writes the raw bytes `데이터` at once and keeps the response open.

use std::time::Duration;

use harness::{sse, Lesson};

#[tokio::test]
async fn sse_sends_raw_bytes_at_once_and_stays_open() {
    let lesson = Lesson::start("lesson01").await;
    let mut response = lesson.get("/sse").await;

    assert_eq!(response.status_line, "HTTP/1.1 200 OK");
    assert_eq!(response.header("content-type"), Some("text/event-stream"));
    assert_eq!(response.header("cache-control"), Some("no-cache"));
    assert_eq!(response.header("connection"), Some("keep-alive"));
    assert_eq!(response.header("content-length"), None);
    assert_eq!(response.header("transfer-encoding"), Some("chunked"));

    // The very bytes of the notes' res.write('데이터'), UTF-8, with nothing around them.
    response
        .expect_body_within("데이터".as_bytes(), Duration::from_secs(1))
        .await;
    assert_eq!(
        response.body_so_far(),
        b"\xeb\x8d\xb0\xec\x9d\xb4\xed\x84\xb0"
    );

    // Still open two seconds later: no end of body, no close, no more bytes.
    response
        .assert_open_and_quiet_for(Duration::from_secs(2))
        .await;
}

#[tokio::test]
async fn eventsource_would_dispatch_nothing_from_unframed_bytes() {
    let lesson = Lesson::start("lesson01").await;
    let mut response = lesson.get("/sse").await;
    response.expect_body("데이터".as_bytes()).await;
    let (events, _) = sse::parse(response.body_so_far());
    assert_eq!(events, vec![], "unframed bytes must not become an event");
}

#[tokio::test]
async fn page_and_style_are_served() {
    let lesson = Lesson::start("lesson01").await;
    let mut page = lesson.get("/").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = String::from_utf8(page.read_to_end().await).expect("the page is UTF-8");
    assert!(
        html.contains("new EventSource('/sse')"),
        "the page opens an EventSource"
    );
    assert!(
        html.contains("fetch('/sse')"),
        "the page reads /sse with fetch"
    );

    let style = lesson.get("/style.css").await;
    assert_eq!(style.status, 200);
    assert_eq!(
        style.header("content-type"),
        Some("text/css; charset=utf-8")
    );

    let missing = lesson.get("/nope").await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
#[cfg_attr(not(unix), ignore = "sends Ctrl-C as SIGINT: Unix only")]
async fn ctrl_c_stops_the_server_cleanly_with_a_client_connected() {
    let lesson = Lesson::start("lesson01").await;
    let mut response = lesson.get("/sse").await;
    response.expect_body("데이터".as_bytes()).await;

    let stderr_before = lesson.stderr();
    let status = lesson.interrupt().await;
    assert!(status.success(), "exit status after Ctrl-C: {status}");
    assert!(!stderr_before.contains("panicked"), "{stderr_before}");
    // The open stream is cut, not left hanging: the body ends without its last chunk.
    response.expect_closed().await;
}

/// `serve.rs` (the same in every lesson) serves each connection itself. A reader leaving an
/// endless stream is normal: logged at debug level, never as an error.
#[tokio::test]
async fn a_reader_that_leaves_is_logged_at_debug_not_as_an_error() {
    let lesson = Lesson::start_with("lesson01", &[("RUST_LOG", "debug")]).await;
    let mut response = lesson.get("/sse").await;
    response.expect_body("데이터".as_bytes()).await;
    drop(response);

    let line = lesson.wait_for_log("connection ended").await;
    assert!(line.contains("DEBUG"), "logged at the wrong level: {line}");
    let stderr = lesson.stderr();
    assert!(
        !stderr.contains("ERROR") && !stderr.contains("WARN"),
        "a reader leaving must not look like a problem:\n{stderr}"
    );
}
