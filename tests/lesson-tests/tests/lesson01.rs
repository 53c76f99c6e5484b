//! lesson01: `GET /sse` writes the raw bytes `데이터` at once and keeps the response open.

mod bad_requests;

use std::time::Duration;

use harness::process::run_to_exit;
use harness::{sse, Lesson};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};

#[tokio::test]
async fn sse_sends_raw_bytes_at_once_and_stays_open() {
    let lesson = Lesson::start("lesson01").await;
    let mut response = lesson.get("/sse").await;

    response.assert_event_stream_head();
    assert_eq!(response.header("connection"), Some("keep-alive"));
    assert_eq!(response.header("content-length"), None);

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

/// `startup::accept` (every lesson starts through it) serves each connection itself. A reader leaving an
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

// ---------------------------------------------------------------------------------------------
// The header-read timeout (`HEADER_READ_TIMEOUT_MS`). These tests run lesson01, but they check
// `lessons/startup`, through which every lesson serves its connections.

/// A short timeout, so the tests are quick. Long enough that a loaded machine still answers a
/// normal request well within it.
const HEADER_TIMEOUT_MS: u64 = 300;

async fn start_with_short_header_timeout() -> Lesson {
    Lesson::start_with(
        "lesson01",
        &[("HEADER_READ_TIMEOUT_MS", &HEADER_TIMEOUT_MS.to_string())],
    )
    .await
}

/// Reads until the server closes `stream` (end of file or a reset) and returns every byte it sent.
/// Panics if the connection is still open after [`harness::DEADLINE`].
async fn read_until_closed(stream: &mut tokio::io::ReadHalf<TcpStream>) -> Vec<u8> {
    let mut received = Vec::new();
    let closed = timeout(harness::DEADLINE, async {
        let mut buf = [0u8; 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the server kept the connection open for {:?}; it sent {}",
        harness::DEADLINE,
        harness::show(&received)
    );
    received
}

#[tokio::test]
async fn silent_and_dripping_clients_are_closed_after_the_header_timeout() {
    let lesson = start_with_short_header_timeout().await;
    let timeout_after = Duration::from_millis(HEADER_TIMEOUT_MS);

    // A client that connects and says nothing.
    let started = Instant::now();
    let silent = TcpStream::connect(lesson.addr()).await.expect("connect");
    let (mut silent_read, _silent_write) = tokio::io::split(silent);

    // A client that sends its request one byte every 100 ms: it would need seconds to finish.
    const SLOW_REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n";
    let dripping = TcpStream::connect(lesson.addr()).await.expect("connect");
    let (mut dripping_read, mut dripping_write) = tokio::io::split(dripping);
    let dripper = tokio::spawn(async move {
        let mut sent = 0;
        for byte in SLOW_REQUEST {
            if dripping_write.write_all(&[*byte]).await.is_err() {
                break;
            }
            sent += 1;
            // Pacing the attack, not synchronising with the server.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        sent
    });

    // Meanwhile a normal request on another connection is answered.
    let mut page = lesson.get("/").await;
    assert_eq!(page.status, 200);
    page.read_to_end().await;

    // Both are closed by the server, without an answer, once the timeout has passed.
    assert_eq!(read_until_closed(&mut silent_read).await, b"");
    let silent_lived = started.elapsed();
    assert_eq!(read_until_closed(&mut dripping_read).await, b"");
    let dripping_lived = started.elapsed();
    assert!(
        silent_lived >= timeout_after,
        "the silent client was closed after {silent_lived:?}, before the timeout"
    );
    assert!(
        dripping_lived >= timeout_after,
        "the dripping client was closed after {dripping_lived:?}, before the timeout"
    );
    // The dripping client was cut off mid-request: it had not sent its whole head.
    let sent = timeout(harness::DEADLINE, dripper)
        .await
        .expect("the dripping client stops once its connection is closed")
        .expect("the dripping task");
    assert!(
        sent < SLOW_REQUEST.len(),
        "the dripping client sent its whole request ({sent} bytes) before being closed"
    );

    // And the server still serves.
    assert_eq!(lesson.get("/").await.status, 200);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let lesson = start_with_short_header_timeout().await;
    // One request, answered; the connection stays open for a next one (HTTP/1.1 keep-alive)...
    let mut page = lesson.get("/").await;
    assert_eq!(page.status, 200);
    page.read_to_end().await;
    // ...but no next request comes, so the server closes it.
    let idle_since = Instant::now();
    page.expect_closed().await;
    assert!(idle_since.elapsed() < harness::DEADLINE);
}

#[tokio::test]
async fn an_open_event_stream_is_not_cut_by_the_header_timeout() {
    let lesson = start_with_short_header_timeout().await;
    let mut response = lesson.get("/sse").await;
    response.expect_body("데이터".as_bytes()).await;
    // Quiet for ten timeouts, and still open: the timeout only runs while a request is read.
    response
        .assert_open_and_quiet_for(Duration::from_millis(10 * HEADER_TIMEOUT_MS))
        .await;
}

#[tokio::test]
async fn a_bad_header_read_timeout_is_refused_with_a_clear_message() {
    for bad in ["0", "abc", "-5", "1.5", "600001"] {
        let exited = run_to_exit("lesson01", &[("HEADER_READ_TIMEOUT_MS", bad)]).await;
        assert_eq!(
            exited.status.code(),
            Some(2),
            "HEADER_READ_TIMEOUT_MS={bad}"
        );
        assert_eq!(
            exited.stderr.trim_end(),
            format!(
                "error: HEADER_READ_TIMEOUT_MS must be a whole number of milliseconds from 1 to \
                 600000, got {bad:?}"
            )
        );
        assert_eq!(exited.stdout, "");
    }
}

/// The attack from issue 13: more silent connections than the server has file descriptors.
/// Without the timeout they stay for ever and no one else gets in; with it, they are closed and
/// the next visitor is answered. `accept` failing meanwhile is logged once, not in a loop.
#[tokio::test]
async fn silent_connections_past_the_file_limit_do_not_lock_the_server_out() {
    let lesson = start_with_short_header_timeout().await;
    // Lower the running server's limit on open files (`prlimit`, util-linux) to what it uses now
    // (stdio, the listener, tokio's epoll and wakers) plus 16, so 40 silent clients are more
    // than it can accept.
    let in_use = std::fs::read_dir(format!("/proc/{}/fd", lesson.pid()))
        .expect("the server's open files in /proc")
        .count();
    let limit = in_use + 16;
    let limited = std::process::Command::new("prlimit")
        .args([
            "--pid",
            &lesson.pid().to_string(),
            &format!("--nofile={limit}:{limit}"),
        ])
        .status()
        .unwrap_or_else(|e| panic!("this test needs `prlimit` (util-linux): {e}"));
    assert!(limited.success(), "prlimit failed: {limited}");

    let mut silent = Vec::new();
    for _ in 0..40 {
        // The kernel completes the connection even when the server cannot accept it yet.
        silent.push(TcpStream::connect(lesson.addr()).await.expect("connect"));
    }
    lesson.wait_for_log("cannot accept connections").await;

    // A visitor now: answered once the silent ones have been closed.
    let mut page = lesson.get("/").await;
    assert_eq!(page.status, 200);
    page.read_to_end().await;
    lesson.wait_for_log("accepting connections again").await;

    // One warning per outage, not one every 100 ms.
    let stderr = lesson.stderr();
    let warnings = stderr.matches("cannot accept connections").count();
    let recoveries = stderr.matches("accepting connections again").count();
    assert_eq!(warnings, recoveries, "stderr:\n{stderr}");
    drop(silent);
}

/// Issue 13, item 8: bad input gets a clear 4xx, and the next request is served.
#[tokio::test]
async fn bad_requests_get_a_clear_4xx_and_the_server_keeps_serving() {
    bad_requests::check_lesson(
        "lesson01",
        [
            // lesson01 reads no query string: one, however odd, changes nothing.
            bad_requests::row(
                "a query string on /sse (not read)",
                "GET /sse?%FF%00=%0D%0A HTTP/1.1\r\nHost: x\r\n\r\n",
                200,
            ),
            bad_requests::row(
                "/sse/more",
                "GET /sse/more HTTP/1.1\r\nHost: x\r\n\r\n",
                404,
            ),
            bad_requests::row("POST /sse", "POST /sse HTTP/1.1\r\nHost: x\r\n\r\n", 405),
        ],
    )
    .await;
}
