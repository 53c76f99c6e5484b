//! lesson07: what a production SSE service needs. Each test starts the very binary that
//! `cargo run -p lesson07` runs, against the practice server (or the MongoDB in `MONGODB_URI`),
//! and checks the bytes on the wire.

use std::time::Duration;

use harness::process::run_to_exit;
use harness::{http, Lesson, Response};
use mongodb::bson::{doc, oid::ObjectId, Document};
use mongodb::{Collection, Database};
use practice_mongo::test_support::TestMongo;
use practice_mongo::Config;
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

const RETRY: &str = "retry: 3000\n\n";
const KEEP_ALIVE: &str = ": keep-alive\n\n";
const SHUTDOWN: &str = "event: shutdown\ndata: {\"reason\":\"server shutting down\"}\n\n";
const CHANGE_STREAM_ERROR: &str =
    "event: streamError\ndata: {\"reason\":\"the change stream failed; reopening it\"}\n\n";
const HISTORY_LOST: &str = "event: resync\ndata: {\"reason\":\"the change stream lost its place: \
                            some posts were not delivered, reload the list\"}\n\n";

/// A running lesson07 with its own database, and driver handles on `post` and `admin`.
struct Setup {
    lesson: Lesson,
    posts: Collection<Document>,
    admin: Database,
    /// The lesson's MongoDB `appName`: fail points name it, so they hit only the lesson's client.
    app: String,
    mongo: TestMongo,
}

async fn start(env: &[(&str, &str)]) -> Setup {
    let mongo = TestMongo::start().await.expect("a MongoDB for the test");
    start_on(mongo, env).await
}

/// [`start`] on a given server (a practice server with a short history, say).
async fn start_on(mongo: TestMongo, env: &[(&str, &str)]) -> Setup {
    let app = format!("lesson07-{}", mongo.db_name());
    let uri = mongo.uri_for_db();
    let separator = if uri.contains('?') { '&' } else { '?' };
    let lesson_uri = format!("{uri}{separator}appName={app}");
    let mut env = env.to_vec();
    env.push(("MONGODB_URI", &lesson_uri));
    let lesson = Lesson::start_with("lesson07", &env).await;
    let client = mongodb::Client::with_uri_str(&uri)
        .await
        .expect("driver connects");
    Setup {
        lesson,
        posts: client.database(mongo.db_name()).collection("post"),
        admin: client.database("admin"),
        app,
        mongo,
    }
}

/// A small post with a fixed `_id`, and the exact frame lesson04's mapping makes of it.
fn post(n: u32) -> (Document, String) {
    let id = ObjectId::new();
    let title = format!("글 {n}");
    let frame = format!(
        "event: newPost\ndata: {{\"_id\":\"{}\",\"title\":\"{title}\"}}\n\n",
        id.to_hex()
    );
    (doc! { "_id": id, "title": title }, frame)
}

/// Opens `/sse?token=...` with extra request headers and checks the head of a live stream.
async fn connect(lesson: &Lesson, token: &str, extra: &[(&str, &str)]) -> Response {
    let mut response = http::get(lesson.addr(), &format!("/sse?token={token}"), extra).await;
    assert_eq!(response.status_line, "HTTP/1.1 200 OK");
    assert_eq!(response.header("content-type"), Some("text/event-stream"));
    assert_eq!(response.header("cache-control"), Some("no-cache"));
    assert_eq!(response.header("connection"), Some("keep-alive"));
    assert_eq!(response.header("x-accel-buffering"), Some("no"));
    assert_eq!(response.header("transfer-encoding"), Some("chunked"));
    assert_eq!(response.header("content-encoding"), None);
    assert_eq!(response.header("vary"), Some("origin"));
    assert_eq!(response.next_frame().await, RETRY);
    response
}

async fn wait_for_clients(lesson: &Lesson, n: u64) {
    lesson
        .wait_for_json("/stats", &format!("{n} SSE clients"), |s| {
            s["sse_clients"] == n
        })
        .await;
}

fn fail_point(app: &str, mode: mongodb::bson::Bson, data: Document) -> Document {
    let mut data = data;
    data.insert("appName", app);
    doc! { "configureFailPoint": "failCommand", "mode": mode, "data": data }
}

/// Turns the fail point off; returns how often it fired (the practice server counts it).
async fn fail_point_off(setup: &Setup) -> i64 {
    let off = setup
        .admin
        .run_command(doc! { "configureFailPoint": "failCommand", "mode": "off" })
        .await
        .expect("configureFailPoint off");
    off.get_i64("count").unwrap_or(-1)
}

fn assert_no_error_log(lesson: &Lesson) {
    let stderr = lesson.stderr();
    assert!(
        !stderr.contains("ERROR") && !stderr.contains("panic"),
        "stderr:\n{stderr}"
    );
}

#[tokio::test]
async fn keep_alive_comments_fill_silence_and_proxy_headers_are_set() {
    let setup = start(&[("KEEP_ALIVE_MS", "100")]).await;
    let mut client = connect(&setup.lesson, "a", &[("Accept-Encoding", "gzip")]).await;
    let mut last = Instant::now();
    for _ in 0..2 {
        assert_eq!(client.next_frame().await, KEEP_ALIVE);
        let silence = last.elapsed();
        // At least the interval; and far less than the 15 s default (generous for slow CI).
        assert!(
            silence >= Duration::from_millis(90) && silence < Duration::from_secs(3),
            "after {silence:?}"
        );
        last = Instant::now();
    }
    // A post is sent at once, and the comment comes again only after 100 ms of silence.
    let (document, frame) = post(1);
    setup.posts.insert_one(document).await.expect("insert");
    assert_eq!(client.next_frame().await, frame);
    let after_post = Instant::now();
    assert_eq!(client.next_frame().await, KEEP_ALIVE);
    assert!(after_post.elapsed() >= Duration::from_millis(90));
    // An EventSource dispatches nothing for the comments: only the post.
    let (events, retry) = harness::sse::parse(client.body_so_far());
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_type, "newPost");
    assert_eq!(retry, Some(3000));
}

#[tokio::test]
async fn pages_are_gzipped_but_event_frames_are_not_held_back() {
    let setup = start(&[]).await;
    let lesson = &setup.lesson;

    // The page and /posts: gzip when the client asks for it, plain when it does not.
    for path in ["/", "/posts"] {
        let mut gzipped = http::get(lesson.addr(), path, &[("Accept-Encoding", "gzip")]).await;
        assert_eq!(gzipped.status, 200, "{path}");
        assert_eq!(gzipped.header("content-encoding"), Some("gzip"), "{path}");
        assert_eq!(gzipped.header("vary"), Some("accept-encoding"), "{path}");
        let body = gzipped.read_to_end().await;
        assert_eq!(&body[..2], [0x1f, 0x8b], "{path}: the gzip magic number");

        let mut plain = http::get(lesson.addr(), path, &[]).await;
        assert_eq!(plain.header("content-encoding"), None, "{path}");
        assert_eq!(plain.header("vary"), Some("accept-encoding"), "{path}");
        let body = plain.read_to_end().await;
        let expected_start: &[u8] = if path == "/" {
            b"<!doctype html>"
        } else {
            b"[]"
        };
        assert!(
            body.starts_with(expected_start),
            "{path}: {}",
            harness::show(&body)
        );
    }
    let mut refused = http::get(
        lesson.addr(),
        "/",
        &[("Accept-Encoding", "gzip;q=0, identity")],
    )
    .await;
    assert_eq!(refused.header("content-encoding"), None);
    refused.read_to_end().await;

    // /sse with the same Accept-Encoding: no gzip, and each frame arrives before the next post
    // exists (a buffering compressor would sit on a 60-byte frame waiting for more input).
    let mut client = connect(lesson, "a", &[("Accept-Encoding", "gzip, deflate, br")]).await;
    for n in 1..=3 {
        let (document, frame) = post(n);
        setup.posts.insert_one(document).await.expect("insert");
        assert_eq!(client.next_frame().await, frame);
    }
}

/// SIGTERM (docker stop, Kubernetes) and Ctrl-C: every client gets `event: shutdown`, then the
/// end of the body and of the connection; the process exits 0, quickly, with no error logged.
#[tokio::test]
#[cfg_attr(not(unix), ignore = "sends SIGTERM and SIGINT: Unix only")]
async fn sigterm_and_ctrl_c_say_goodbye_to_every_client_and_exit_0() {
    for signal in ["TERM", "INT"] {
        let mut setup = start(&[]).await;
        let mut first = connect(&setup.lesson, "a", &[]).await;
        let mut second = connect(&setup.lesson, "b", &[]).await;
        wait_for_clients(&setup.lesson, 2).await;
        let (document, frame) = post(1);
        setup.posts.insert_one(document).await.expect("insert");
        for client in [&mut first, &mut second] {
            assert_eq!(client.next_frame().await, frame);
        }

        let sent = Instant::now();
        setup.lesson.send_signal(signal);
        for client in [&mut first, &mut second] {
            assert_eq!(client.next_frame().await, SHUTDOWN, "SIG{signal}");
            // The last chunk: the response ended normally (a browser reconnects after `retry`).
            assert_eq!(client.read_to_end().await, b"", "SIG{signal}");
            client.expect_closed().await;
        }
        let status = setup.lesson.wait_for_exit().await;
        let took = sent.elapsed();
        assert_eq!(
            status.code(),
            Some(0),
            "SIG{signal}: {}",
            setup.lesson.stderr()
        );
        assert!(
            took < Duration::from_secs(2),
            "SIG{signal}: exit took {took:?}"
        );
        let received = if signal == "TERM" {
            "SIGTERM"
        } else {
            "Ctrl-C"
        };
        // (The process has exited, but its last stderr lines may still be on their way to us.)
        let lesson = &setup.lesson;
        lesson.wait_for_log(&format!("{received} received")).await;
        lesson
            .wait_for_log("every connection is closed, exiting")
            .await;
        assert_no_error_log(lesson);
        // Nobody is listening any more.
        assert!(tokio::net::TcpStream::connect(setup.lesson.addr())
            .await
            .is_err());
    }
}

/// Resident memory of a process, in KiB, from /proc (Linux).
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS line")
}

/// A client that sends its request and then never reads: the kernel buffers fill up, hyper stops
/// taking frames from its stream, its queue fills, and the fan-out drops it. The other client
/// gets everything, and the server's memory does not grow with what the stuck one is not reading.
#[tokio::test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "reads /proc and sends SIGTERM: Linux only"
)]
async fn a_client_that_stops_reading_is_dropped_and_memory_stays_bounded() {
    let mut setup = start(&[("CLIENT_BUFFER", "4"), ("SHUTDOWN_DEADLINE_MS", "300")]).await;
    let lesson = &setup.lesson;

    // The stuck reader: a small receive buffer, a request, and then no read ever.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let mut stuck = socket.connect(lesson.addr()).await.expect("connect");
    stuck
        .write_all(b"GET /sse?token=stuck HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .expect("request");
    let mut reader = connect(lesson, "reader", &[]).await;
    wait_for_clients(lesson, 2).await;

    // Post after post (64 KiB each), each read by the good client before the next one, until
    // the fan-out gives up on the stuck client. The loop is bounded by the harness's deadline.
    let body = "가".repeat(64 * 1024 / 3);
    let send_post = {
        let posts = setup.posts.clone();
        move |n: u32| {
            let posts = posts.clone();
            let body = body.clone();
            async move {
                let id = ObjectId::new();
                let frame = format!(
                    "event: newPost\ndata: {{\"_id\":\"{}\",\"n\":{n},\"body\":\"{body}\"}}\n\n",
                    id.to_hex()
                );
                posts
                    .insert_one(doc! { "_id": id, "n": n, "body": body })
                    .await
                    .expect("insert");
                frame
            }
        }
    };
    let started = Instant::now();
    let mut n = 0;
    loop {
        n += 1;
        let frame = send_post(n).await;
        assert_eq!(reader.next_frame().await, frame, "post {n}");
        let stats = lesson.get_json("/stats").await;
        if stats["slow_clients_dropped"] == 1 {
            break;
        }
        assert!(
            started.elapsed() < harness::DEADLINE,
            "the stuck client was never dropped after {n} posts: {stats}"
        );
    }
    let stats = lesson.get_json("/stats").await;
    assert_eq!(stats["sse_clients"], 2, "{stats}"); // the stuck connection is still open ...
    assert_eq!(stats["fan_out_clients"], 1, "{stats}"); // ... but nothing is queued for it any more

    // 200 more posts (12.8 MiB) that the stuck client does not read: the server's memory must
    // not grow by anything like that, because nothing is kept for it.
    let before = rss_kib(lesson.pid());
    for _ in 0..200 {
        n += 1;
        let frame = send_post(n).await;
        assert_eq!(reader.next_frame().await, frame, "post {n}");
    }
    let grown = rss_kib(lesson.pid()).saturating_sub(before);
    assert!(
        grown < 4 * 1024,
        "RSS grew by {grown} KiB for 12.8 MiB of posts"
    );
    let stats = lesson.get_json("/stats").await;
    assert_eq!(stats["slow_clients_dropped"], 1, "{stats}");
    assert!(stats["queued_frames"].as_u64() <= Some(4), "{stats}");

    // Shutdown with the stuck client still connected: the good client is told, and the server
    // does not wait longer than SHUTDOWN_DEADLINE_MS for the one that cannot be told.
    let sent = Instant::now();
    setup.lesson.send_signal("TERM");
    assert_eq!(reader.next_frame().await, SHUTDOWN);
    assert_eq!(reader.read_to_end().await, b"");
    let status = setup.lesson.wait_for_exit().await;
    assert_eq!(status.code(), Some(0));
    let took = sent.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(2),
        "exit after {took:?}"
    );
    setup
        .lesson
        .wait_for_log("some connections were still open at the shutdown deadline")
        .await;
    assert_no_error_log(&setup.lesson);
    drop(stuck);
}

/// A dropped connection (`closeConnection`) and a resumable error (HostUnreachable, 6) on the
/// change stream's `getMore`: the driver resumes, no post is lost or repeated, and no SSE client
/// notices anything.
#[tokio::test]
async fn resumable_change_stream_faults_lose_nothing_and_keep_clients_connected() {
    let setup = start(&[]).await;
    let mut clients = [
        connect(&setup.lesson, "a", &[]).await,
        connect(&setup.lesson, "b", &[]).await,
    ];
    wait_for_clients(&setup.lesson, 2).await;
    let faults = [
        doc! { "failCommands": ["getMore"], "closeConnection": true },
        doc! { "failCommands": ["getMore"], "errorCode": 6 },
    ];
    let mut n = 0;
    for fault in faults {
        n += 1;
        let (document, frame) = post(n);
        setup.posts.insert_one(document).await.expect("insert");
        for client in &mut clients {
            assert_eq!(client.next_frame().await, frame);
        }
        let once = mongodb::bson::Bson::Document(doc! { "times": 1 });
        setup
            .admin
            .run_command(fail_point(&setup.app, once, fault.clone()))
            .await
            .expect("configureFailPoint");
        // One post at a time: the getMore that brings post n+2 is sent after the fail point was
        // armed, so the fault surely happens in the middle of these posts.
        for _ in 0..5 {
            n += 1;
            let (document, frame) = post(n);
            setup.posts.insert_one(document).await.expect("insert");
            for client in &mut clients {
                assert_eq!(client.next_frame().await, frame, "{fault}");
            }
        }
        let fired = fail_point_off(&setup).await;
        if setup.mongo.practice_server().is_some() {
            assert_eq!(fired, 1, "the fault happened: {fault}");
        }
    }
    let stats = setup.lesson.get_json("/stats").await;
    assert_eq!(stats["sse_clients"], 2, "{stats}");
    assert_eq!(stats["change_stream_errors"], 0, "{stats}");
    assert_no_error_log(&setup.lesson);
}

/// A non-resumable error (BadValue, 2) on `getMore` and then on the reopening `aggregate`: it is
/// logged, every client gets `event: error` and stays connected, and once MongoDB is healthy
/// again the stream is reopened where it stopped: the post written during the outage arrives.
#[tokio::test]
async fn a_non_resumable_error_is_reported_and_the_stream_reopened() {
    let setup = start(&[("REOPEN_BACKOFF_MS", "50")]).await;
    let mut clients = [
        connect(&setup.lesson, "a", &[]).await,
        connect(&setup.lesson, "b", &[]).await,
    ];
    wait_for_clients(&setup.lesson, 2).await;
    let (document, frame) = post(1);
    setup.posts.insert_one(document).await.expect("insert");
    for client in &mut clients {
        assert_eq!(client.next_frame().await, frame);
    }

    let always = mongodb::bson::Bson::String("alwaysOn".into());
    let fault = doc! { "failCommands": ["getMore", "aggregate"], "errorCode": 2 };
    setup
        .admin
        .run_command(fail_point(&setup.app, always, fault))
        .await
        .expect("configureFailPoint");
    for client in &mut clients {
        assert_eq!(client.next_frame().await, CHANGE_STREAM_ERROR);
    }
    // Written while the change stream is down; then MongoDB recovers; then one more.
    let (during, during_frame) = post(2);
    setup.posts.insert_one(during).await.expect("insert");
    // Wait until a reopen attempt has failed too (the aggregate path), then recover.
    setup
        .lesson
        .wait_for_log("could not reopen the change stream")
        .await;
    fail_point_off(&setup).await;
    let (after, after_frame) = post(3);
    setup.posts.insert_one(after).await.expect("insert");

    for client in &mut clients {
        // More `event: error` frames may come first (one per failed attempt), nothing else.
        let mut next = client.next_frame().await;
        while next == CHANGE_STREAM_ERROR {
            next = client.next_frame().await;
        }
        assert_eq!(next, during_frame);
        assert_eq!(client.next_frame().await, after_frame);
    }
    let stats = setup.lesson.get_json("/stats").await;
    assert_eq!(stats["sse_clients"], 2, "{stats}");
    assert!(stats["change_stream_errors"].as_u64() >= Some(2), "{stats}");
    assert_eq!(stats["change_stream_reopens"], 1, "{stats}");
    let log = setup
        .lesson
        .wait_for_log("reopening the change stream after a backoff")
        .await;
    assert!(log.contains("ERROR"), "{log}");
}

/// Reads frames until one that is not `event: error` (more of those may come, one per failed
/// attempt to reopen) and returns it.
async fn next_frame_after_errors(client: &mut Response) -> String {
    let mut next = client.next_frame().await;
    while next == CHANGE_STREAM_ERROR {
        next = client.next_frame().await;
    }
    next
}

/// MongoDB is unreachable for the lesson (every `getMore` and `aggregate` fails) while more posts
/// are written than the server keeps history for: MongoDB's oplog moving past our last token
/// during an outage. Resuming after that token is refused with 286 for ever, so the lesson must
/// open a fresh stream, tell every client `event: resync`, and carry on delivering.
/// (Practice server only: a real server's oplog cannot be made this short from a test; the next
/// test covers the same path on any server with a fail point.)
#[tokio::test]
async fn practice_only_history_lost_during_an_outage_opens_a_fresh_stream_and_resyncs() {
    let mongo = TestMongo::start_practice(Config::default().with_history_limit(5))
        .await
        .expect("a practice server");
    let setup = start_on(mongo, &[("REOPEN_BACKOFF_MS", "50")]).await;
    let mut clients = [
        connect(&setup.lesson, "a", &[]).await,
        connect(&setup.lesson, "b", &[]).await,
    ];
    wait_for_clients(&setup.lesson, 2).await;
    let (document, frame) = post(1);
    setup.posts.insert_one(document).await.expect("insert");
    for client in &mut clients {
        assert_eq!(client.next_frame().await, frame);
    }

    let always = mongodb::bson::Bson::String("alwaysOn".into());
    let outage = doc! { "failCommands": ["getMore", "aggregate"], "errorCode": 2 };
    setup
        .admin
        .run_command(fail_point(&setup.app, always, outage))
        .await
        .expect("configureFailPoint");
    for client in &mut clients {
        assert_eq!(client.next_frame().await, CHANGE_STREAM_ERROR);
    }
    // Twice the history the server keeps: the lesson's last token is now older than all of it.
    for n in 2..=11 {
        let (document, _) = post(n);
        setup.posts.insert_one(document).await.expect("insert");
    }
    fail_point_off(&setup).await;

    for client in &mut clients {
        assert_eq!(next_frame_after_errors(client).await, HISTORY_LOST);
    }
    // The same streams carry on with the fresh change stream.
    let (document, frame) = post(12);
    setup.posts.insert_one(document).await.expect("insert");
    for client in &mut clients {
        assert_eq!(client.next_frame().await, frame);
    }
    let stats = setup.lesson.get_json("/stats").await;
    assert_eq!(stats["sse_clients"], 2, "{stats}");
    assert_eq!(stats["change_stream_resyncs"], 1, "{stats}");
    setup
        .lesson
        .wait_for_log("MongoDB no longer has the changes after our last resume token")
        .await;
}

/// The same with the error itself: a `getMore` answered `ChangeStreamHistoryLost` (286), as a
/// real MongoDB does when its oplog moved past the cursor. No resume is even tried.
#[tokio::test]
async fn a_history_lost_error_opens_a_fresh_stream_and_resyncs() {
    let setup = start(&[("REOPEN_BACKOFF_MS", "50")]).await;
    let mut client = connect(&setup.lesson, "a", &[]).await;
    wait_for_clients(&setup.lesson, 1).await;
    let (document, frame) = post(1);
    setup.posts.insert_one(document).await.expect("insert");
    assert_eq!(client.next_frame().await, frame);

    let once = mongodb::bson::Bson::Document(doc! { "times": 1 });
    let lost = doc! { "failCommands": ["getMore"], "errorCode": 286 };
    setup
        .admin
        .run_command(fail_point(&setup.app, once, lost))
        .await
        .expect("configureFailPoint");
    assert_eq!(client.next_frame().await, CHANGE_STREAM_ERROR);
    assert_eq!(next_frame_after_errors(&mut client).await, HISTORY_LOST);
    let (document, frame) = post(2);
    setup.posts.insert_one(document).await.expect("insert");
    assert_eq!(client.next_frame().await, frame);
    let stats = setup.lesson.get_json("/stats").await;
    assert_eq!(stats["change_stream_resyncs"], 1, "{stats}");
    assert_eq!(stats["change_stream_reopens"], 1, "{stats}");
}

#[tokio::test]
async fn cors_echoes_an_allowed_origin_and_refuses_the_others() {
    let setup = start(&[(
        "ALLOWED_ORIGINS",
        "https://app.example,http://localhost:5173",
    )])
    .await;
    let lesson = &setup.lesson;
    for origin in ["https://app.example", "http://localhost:5173"] {
        let response = connect(lesson, "a", &[("Origin", origin)]).await;
        assert_eq!(response.header("access-control-allow-origin"), Some(origin));
    }
    // No Origin header (curl, or a page of the server's own origin): no CORS header needed.
    let response = connect(lesson, "a", &[]).await;
    assert_eq!(response.header("access-control-allow-origin"), None);
    // Any other origin, including a near miss: 403 and no CORS header.
    for origin in ["https://evil.example", "https://app.example:8443", "null"] {
        let mut response = http::get(lesson.addr(), "/sse?token=a", &[("Origin", origin)]).await;
        assert_eq!(response.status_line, "HTTP/1.1 403 Forbidden", "{origin}");
        assert_eq!(response.header("access-control-allow-origin"), None);
        assert_eq!(response.header("vary"), Some("origin"));
        assert_eq!(response.read_to_end().await, b"");
    }
}

/// `204 No Content` is how a server tells an EventSource to stop reconnecting for good.
#[tokio::test]
async fn no_token_or_a_logged_out_token_gets_204() {
    let setup = start(&[("ALLOWED_ORIGINS", "https://app.example")]).await;
    let lesson = &setup.lesson;
    for path in ["/sse", "/sse?token=", "/sse?other=1"] {
        let response = lesson.get(path).await;
        assert_eq!(response.status_line, "HTTP/1.1 204 No Content", "{path}");
        assert_eq!(response.header("content-type"), None);
        assert_eq!(response.header("transfer-encoding"), None);
    }
    // A cross-origin page must be able to read the 204 too.
    let response = http::get(lesson.addr(), "/sse", &[("Origin", "https://app.example")]).await;
    assert_eq!(response.status, 204);
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://app.example")
    );

    // Logging out ends that token's open stream normally (the browser will reconnect)...
    let mut alice = connect(lesson, "alice", &[]).await;
    let mut bob = connect(lesson, "bob", &[]).await;
    let logout = b"POST /logout?token=alice HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n";
    let answer = http::send(lesson.addr(), logout).await;
    assert_eq!(answer.status_line, "HTTP/1.1 204 No Content");
    assert_eq!(alice.read_to_end().await, b"");
    // ... and that reconnect gets 204: the browser stops for good. Other tokens are unaffected.
    let again = lesson.get("/sse?token=alice").await;
    assert_eq!(again.status_line, "HTTP/1.1 204 No Content");
    let (document, frame) = post(1);
    setup.posts.insert_one(document).await.expect("insert");
    assert_eq!(bob.next_frame().await, frame);
    connect(lesson, "carol", &[]).await;

    let no_token = b"POST /logout HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n";
    let answer = http::send(lesson.addr(), no_token).await;
    assert_eq!(answer.status_line, "HTTP/1.1 400 Bad Request");
}

#[tokio::test]
async fn bad_settings_stop_the_server_with_what_is_allowed() {
    let cases = [
        (
            "KEEP_ALIVE_MS",
            "15s",
            "error: KEEP_ALIVE_MS must be a whole number of milliseconds from 10 to 3600000, got \"15s\"\n",
        ),
        (
            "CLIENT_BUFFER",
            "0",
            "error: CLIENT_BUFFER must be a number of frames from 1 to 100000, got \"0\"\n",
        ),
        (
            "ALLOWED_ORIGINS",
            "*",
            "error: ALLOWED_ORIGINS is a comma-separated list of origins such as https://app.example or \
             http://localhost:5173 (scheme, host, optional port; no path, no trailing /, no *), got \"*\"\n",
        ),
    ];
    for (name, value, message) in cases {
        let exited = run_to_exit("lesson07", &[(name, value)]).await;
        assert_eq!(exited.status.code(), Some(2), "{name}");
        assert_eq!(exited.stdout, "");
        assert_eq!(exited.stderr, message);
    }
}
