//! lesson07: what a production SSE service needs. Each test starts the very binary that
//! `cargo run -p lesson07` runs, against the practice server (or the MongoDB in `MONGODB_URI`),
//! and checks the bytes on the wire.

use std::time::Duration;

mod numbered_post;

use harness::process::run_to_exit;
use harness::{http, Lesson, Response};
use mongodb::bson::{doc, oid::ObjectId, Document};
use mongodb::{Collection, Database};
use numbered_post::post;
use practice_mongo::test_support::{FailPoints, TestMongo};
use practice_mongo::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
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

/// A reader that will never read: a small receive buffer, `GET /sse?token=stuck`, and then no
/// read ever, so its socket soon takes no more bytes.
async fn stuck_reader(lesson: &Lesson) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let mut stuck = socket.connect(lesson.addr()).await.expect("connect");
    stuck
        .write_all(b"GET /sse?token=stuck HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .expect("request");
    stuck
}

async fn wait_for_clients(lesson: &Lesson, n: u64) {
    lesson
        .wait_for_json("/stats", &format!("{n} SSE clients"), |s| {
            s["sse_clients"] == n
        })
        .await;
}

/// The test's fail points, or `None` on a real mongod started without test commands: then
/// `TestMongo::fail_points` has printed `SKIPPED` with the fix (and under `CI=true` it fails).
async fn fail_points(setup: &Setup, test: &str) -> Option<FailPoints> {
    setup
        .mongo
        .fail_points(setup.admin.client(), test)
        .await
        .expect("configureFailPoint")
}

/// Arms `failCommand` for the lesson's own client only (fail points name its `appName`).
async fn arm(setup: &Setup, fail_points: &FailPoints, mode: mongodb::bson::Bson, data: Document) {
    let mut data = data;
    data.insert("appName", setup.app.as_str());
    fail_points
        .set(doc! { "configureFailPoint": "failCommand", "mode": mode, "data": data })
        .await
        .expect("configureFailPoint");
}

/// Turns the fail point off; returns how often it fired (the practice server counts it).
async fn disarm(fail_points: &FailPoints) -> i64 {
    let off = fail_points.off().await.expect("configureFailPoint off");
    off.get_i64("count").unwrap_or(-1)
}

/// Two readers get post 1; then every `getMore` and `aggregate` of the lesson fails (BadValue,
/// 2) until the fail point is turned off, and each reader is told `event: streamError`.
async fn two_readers_into_an_outage(setup: &Setup, fail_points: &FailPoints) -> [Response; 2] {
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
    arm(setup, fail_points, always, outage).await;
    for client in &mut clients {
        assert_eq!(client.next_frame().await, CHANGE_STREAM_ERROR);
    }
    clients
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
        // A shutdown deadline far longer than the bound below: exiting within the bound proves
        // that the server did not wait for it (every connection had closed).
        let mut setup = start(&[("SHUTDOWN_DEADLINE_MS", "30000")]).await;
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
        // What matters is "well before SHUTDOWN_DEADLINE_MS"; 5 s (not the usual ~50 ms) leaves
        // room for a loaded 2-core machine.
        assert!(
            took < Duration::from_secs(5),
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
    // WRITE_TIMEOUT_MS far away: this test is about the queue policy and the shutdown deadline,
    // with the stuck connection still open (the write deadline has its own test).
    let mut setup = start(&[
        ("CLIENT_BUFFER", "4"),
        ("SHUTDOWN_DEADLINE_MS", "300"),
        ("WRITE_TIMEOUT_MS", "600000"),
    ])
    .await;
    let lesson = &setup.lesson;

    let stuck = stuck_reader(lesson).await;
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

/// The time of day, in seconds, at the start of a log line (`2026-01-02T03:04:05.678901Z ...`,
/// tracing's format): the lesson's own clock, unaffected by how late the test reads the line.
fn log_time(line: &str) -> f64 {
    let time = line
        .split_once('T')
        .and_then(|(_, rest)| rest.split_once('Z'))
        .map(|(time, _)| time)
        .unwrap_or_else(|| panic!("no timestamp in {line:?}"));
    let parts: Vec<f64> = time
        .split(':')
        .map(|part| part.parse().expect("a number"))
        .collect();
    parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]
}

/// A reader that stops reading (its socket takes no more bytes) is disconnected WRITE_TIMEOUT_MS
/// after its writes stalled, which frees its queue, while 100 readers that do read get every one
/// of 1,000 posts, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_stops_reading_is_disconnected_at_the_write_deadline() {
    const WRITE_TIMEOUT_S: f64 = 5.0;
    // CLIENT_BUFFER above the number of posts: no queue ever fills, so nothing but the write
    // deadline can remove the stuck reader. The debug log says when its writes stalled.
    let setup = start(&[
        ("WRITE_TIMEOUT_MS", "5000"),
        ("CLIENT_BUFFER", "2000"),
        ("RUST_LOG", "info,startup::write_deadline=debug"),
    ])
    .await;
    let lesson = &setup.lesson;

    let mut stuck = stuck_reader(lesson).await;
    wait_for_clients(lesson, 1).await;
    // The lesson's log lines about this one connection end with `peer=<its address>`.
    let peer = format!("peer={}", stuck.local_addr().expect("local address"));
    let stall_line = format!("its write deadline starts {peer}");

    // Fill what the kernel and hyper hold for it (a few MB on loopback) with 64 KiB posts, one
    // at a time, until its writes stall.
    let body = "x".repeat(64 * 1024);
    let mut n: u64 = 0;
    while !lesson.stderr().contains(&stall_line) {
        n += 1;
        assert!(n <= 500, "the stuck reader's writes never stalled");
        let post = doc! { "_id": ObjectId::new(), "title": "fill", "body": body.as_str() };
        setup.posts.insert_one(post).await.expect("insert");
        lesson
            .wait_for_json("/stats", "the post published", |s| {
                s["frames_published"] == n
            })
            .await;
    }

    // 100 readers join while the stuck one is still connected, and 1,000 posts follow.
    let mut readers = Vec::new();
    for r in 0..100 {
        readers.push(connect(lesson, &format!("reader{r}"), &[]).await);
    }
    let stats = lesson.get_json("/stats").await;
    assert_eq!(stats["sse_clients"], 101, "{stats}");
    let posts: Vec<(Document, String)> = (1..=1000).map(post).collect();
    let expected: std::sync::Arc<Vec<String>> =
        std::sync::Arc::new(posts.iter().map(|(_, frame)| frame.clone()).collect());
    let tasks: Vec<_> = readers
        .into_iter()
        .enumerate()
        .map(|(r, mut reader)| {
            let expected = expected.clone();
            tokio::spawn(async move {
                for (i, frame) in expected.iter().enumerate() {
                    assert_eq!(&reader.next_frame().await, frame, "reader {r}, post {i}");
                }
                reader // still connected
            })
        })
        .collect();
    let writer = setup.posts.clone();
    let insert_all = async move {
        for (document, _) in posts {
            writer.insert_one(document).await.expect("insert");
        }
    };
    let close_line = format!("closing its connection {peer}");
    let (closed, ()) = tokio::join!(lesson.wait_for_log(&close_line), insert_all);
    let mut readers = Vec::new();
    for task in tasks {
        readers.push(task.await.expect("a reader got every post, in order"));
    }

    // Gone from the fan-out and the counters, and WRITE_TIMEOUT_MS after the stall by the
    // lesson's own clock (the upper slack is for a loaded machine waking the timer late).
    let stalled = lesson.wait_for_log(&stall_line).await;
    let waited = log_time(&closed) - log_time(&stalled);
    assert!(
        (WRITE_TIMEOUT_S..WRITE_TIMEOUT_S + 1.5).contains(&waited),
        "closed {waited} s after the stall:\n{stalled}\n{closed}"
    );
    let stats = lesson
        .wait_for_json("/stats", "the stuck reader gone", |s| {
            s["sse_clients"] == 100 && s["fan_out_clients"] == 100
        })
        .await;
    assert_eq!(stats["slow_clients_dropped"], 0, "{stats}");
    // The stuck client, reading at last, finds what was in the kernel's buffers, then the end.
    let mut buf = vec![0u8; 64 * 1024];
    let ended = tokio::time::timeout(harness::DEADLINE, async {
        loop {
            match stuck.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the stuck connection is still open");
}

/// A dropped connection (`closeConnection`) and a resumable error (HostUnreachable, 6) on the
/// change stream's `getMore`: the driver resumes, no post is lost or repeated, and no SSE client
/// notices anything.
#[tokio::test]
async fn resumable_change_stream_faults_lose_nothing_and_keep_clients_connected() {
    let setup = start(&[]).await;
    let test = "resumable_change_stream_faults_lose_nothing_and_keep_clients_connected";
    let Some(fail_points) = fail_points(&setup, test).await else {
        return;
    };
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
        arm(&setup, &fail_points, once, fault.clone()).await;
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
        let fired = disarm(&fail_points).await;
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
/// logged, every client gets `event: streamError` and stays connected, and once MongoDB is healthy
/// again the stream is reopened where it stopped: the post written during the outage arrives.
#[tokio::test]
async fn a_non_resumable_error_is_reported_and_the_stream_reopened() {
    let setup = start(&[("REOPEN_BACKOFF_MS", "50")]).await;
    let test = "a_non_resumable_error_is_reported_and_the_stream_reopened";
    let Some(fail_points) = fail_points(&setup, test).await else {
        return;
    };
    let mut clients = two_readers_into_an_outage(&setup, &fail_points).await;
    // Written while the change stream is down; then MongoDB recovers; then one more.
    let (during, during_frame) = post(2);
    setup.posts.insert_one(during).await.expect("insert");
    // Wait until a reopen attempt has failed too (the aggregate path), then recover.
    setup
        .lesson
        .wait_for_log("could not reopen the change stream")
        .await;
    disarm(&fail_points).await;
    let (after, after_frame) = post(3);
    setup.posts.insert_one(after).await.expect("insert");

    for client in &mut clients {
        // More `event: streamError` frames may come first (one per failed attempt), nothing else.
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

/// Reads frames until one that is not `event: streamError` (more of those may come, one per failed
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
    let test = "practice_only_history_lost_during_an_outage_opens_a_fresh_stream_and_resyncs";
    let Some(fail_points) = fail_points(&setup, test).await else {
        return;
    };
    let mut clients = two_readers_into_an_outage(&setup, &fail_points).await;
    // Twice the history the server keeps: the lesson's last token is now older than all of it.
    for n in 2..=11 {
        let (document, _) = post(n);
        setup.posts.insert_one(document).await.expect("insert");
    }
    disarm(&fail_points).await;

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
    let test = "a_history_lost_error_opens_a_fresh_stream_and_resyncs";
    let Some(fail_points) = fail_points(&setup, test).await else {
        return;
    };
    let mut client = connect(&setup.lesson, "a", &[]).await;
    wait_for_clients(&setup.lesson, 1).await;
    let (document, frame) = post(1);
    setup.posts.insert_one(document).await.expect("insert");
    assert_eq!(client.next_frame().await, frame);

    let once = mongodb::bson::Bson::Document(doc! { "times": 1 });
    let lost = doc! { "failCommands": ["getMore"], "errorCode": 286 };
    arm(&setup, &fail_points, once, lost).await;
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

/// `GET /sse` with no token is an anonymous reader (as in every earlier lesson, so that
/// `curl -N http://127.0.0.1:3000/sse` works); only a token that logged out gets `204`, the answer
/// that makes an EventSource stop reconnecting for good, and the server logs why.
#[tokio::test]
async fn no_token_streams_anonymously_and_only_a_logged_out_token_gets_204() {
    let setup = start(&[("ALLOWED_ORIGINS", "https://app.example")]).await;
    let lesson = &setup.lesson;
    let mut anonymous = Vec::new();
    for path in ["/sse", "/sse?token=", "/sse?other=1"] {
        let mut response = http::get(lesson.addr(), path, &[]).await;
        assert_eq!(response.status_line, "HTTP/1.1 200 OK", "{path}");
        assert_eq!(response.header("content-type"), Some("text/event-stream"));
        assert_eq!(response.next_frame().await, RETRY, "{path}");
        anonymous.push(response);
    }

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
    assert_eq!(again.header("content-type"), None);
    assert_eq!(again.header("transfer-encoding"), None);
    lesson.wait_for_log("its token logged out").await;
    // A cross-origin page must be able to read the 204 too.
    let response = http::get(
        lesson.addr(),
        "/sse?token=alice",
        &[("Origin", "https://app.example")],
    )
    .await;
    assert_eq!(response.status, 204);
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    let (document, frame) = post(1);
    setup.posts.insert_one(document).await.expect("insert");
    assert_eq!(bob.next_frame().await, frame);
    for reader in &mut anonymous {
        assert_eq!(reader.next_frame().await, frame);
    }
    connect(lesson, "carol", &[]).await;

    let no_token = b"POST /logout HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n";
    let answer = http::send(lesson.addr(), no_token).await;
    assert_eq!(answer.status_line, "HTTP/1.1 400 Bad Request");
    let stats = lesson.get_json("/stats").await;
    assert_eq!(stats["logged_out_tokens"], 1, "{stats}");
}

/// A POST /logout request with `query`, and its status line.
async fn logout(lesson: &Lesson, query: &str) -> String {
    let request =
        format!("POST /logout{query} HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n");
    http::send(lesson.addr(), request.as_bytes())
        .await
        .status_line
}

/// Everything lesson07 reads from a request (the `token` query of `/sse` and `/logout`, the
/// `Origin` and `Accept-Encoding` headers; it has no request bodies and reads no
/// `Last-Event-ID`), sent huge, empty, binary, not UTF-8, with CR/LF/NUL, and twice: each gets a
/// clear 4xx (or, for `Accept-Encoding`, the plain page: an unknown coding is simply not used),
/// nothing is stored, nothing long is logged, and the server keeps serving.
#[tokio::test]
async fn bad_input_gets_a_clear_4xx_and_nothing_is_stored() {
    let setup = start(&[("ALLOWED_ORIGINS", "https://app.example")]).await;
    let lesson = &setup.lesson;
    let huge = "a".repeat(100 * 1024);
    let long_token = "t".repeat(1025);

    // The token, in the query of both routes. Each must be refused with 400 by /logout and by
    // /sse, and never remembered. (A huge one does not even reach the lesson: hyper answers
    // `414 URI Too Long` for a request line longer than it reads.)
    for path in ["/sse", "/logout"] {
        let request = format!("GET {path}?token={huge} HTTP/1.1\r\nHost: test\r\n\r\n");
        let response = http::send(lesson.addr(), request.as_bytes()).await;
        assert_eq!(response.status_line, "HTTP/1.1 414 URI Too Long", "{path}");
    }
    let bad_tokens = [
        ("too long", format!("?token={long_token}")),
        ("binary", "?token=%00%01%02%FE".to_owned()),
        ("not UTF-8", "?token=%FF%FE".to_owned()),
        ("CR LF", "?token=a%0D%0Ab".to_owned()),
        ("NUL", "?token=a%00".to_owned()),
        ("a space", "?token=a+b".to_owned()),
        ("not ASCII", "?token=%ED%86%A0%ED%81%B0".to_owned()),
        ("twice", "?token=a&token=b".to_owned()),
        ("twice, one empty", "?token=&token=b".to_owned()),
    ];
    for (what, query) in &bad_tokens {
        assert_eq!(
            logout(lesson, query).await,
            "HTTP/1.1 400 Bad Request",
            "POST /logout, token {what}"
        );
        let mut response = lesson.get(&format!("/sse{query}")).await;
        assert_eq!(response.status, 400, "GET /sse, token {what}");
        assert_eq!(response.header("vary"), Some("origin"));
        let body = String::from_utf8(response.read_to_end().await).expect("UTF-8");
        assert!(body.starts_with("bad token: "), "{what}: {body}");
    }
    for (what, query) in [("missing", ""), ("empty", "?token="), ("other", "?x=1")] {
        assert_eq!(
            logout(lesson, query).await,
            "HTTP/1.1 400 Bad Request",
            "POST /logout, token {what}"
        );
    }

    // The Origin header of /sse.
    let refused = [
        ("huge", huge.as_str()),
        ("empty", ""),
        ("a near miss", "https://app.example.evil"),
    ];
    for (what, origin) in refused {
        let mut response = http::get(lesson.addr(), "/sse", &[("Origin", origin)]).await;
        assert_eq!(response.status, 403, "Origin {what}");
        assert_eq!(response.read_to_end().await, b"");
    }
    let raw_origins: [(&str, &[u8]); 4] = [
        ("not UTF-8", b"Origin: https://app.example\xff\r\n"),
        ("binary", b"Origin: \x01\x02\x7f\r\n"),
        (
            "twice",
            b"Origin: https://app.example\r\nOrigin: https://app.example\r\n",
        ),
        ("NUL", b"Origin: https://app.example\x00\r\n"),
    ];
    for (what, header_line) in raw_origins {
        let mut request = b"GET /sse HTTP/1.1\r\nHost: test\r\n".to_vec();
        request.extend_from_slice(header_line);
        request.extend_from_slice(b"\r\n");
        let response = http::send(lesson.addr(), &request).await;
        assert_eq!(response.status, 400, "Origin {what}");
    }

    // Accept-Encoding of the page: garbage is no reason to refuse; the page comes uncompressed.
    let raw_encodings: [(&str, &[u8]); 3] = [
        ("not UTF-8", b"Accept-Encoding: gzip\xff\r\n"),
        ("empty", b"Accept-Encoding: \r\n"),
        ("twice", b"Accept-Encoding: br\r\nAccept-Encoding: br\r\n"),
    ];
    for (what, header_line) in raw_encodings {
        let mut request = b"GET / HTTP/1.1\r\nHost: test\r\n".to_vec();
        request.extend_from_slice(header_line);
        request.extend_from_slice(b"\r\n");
        let mut response = http::send(lesson.addr(), &request).await;
        assert_eq!(response.status, 200, "Accept-Encoding {what}");
        assert_eq!(response.header("content-encoding"), None, "{what}");
        response.read_to_end().await;
    }
    let mut response = http::get(lesson.addr(), "/", &[("Accept-Encoding", &huge)]).await;
    assert_eq!(response.status, 200, "Accept-Encoding huge");
    response.read_to_end().await;

    // Nothing was stored, nothing long was logged, and the server still serves.
    let stats = lesson.get_json("/stats").await;
    assert_eq!(stats["logged_out_tokens"], 0, "{stats}");
    assert_eq!(stats["sse_clients"], 0, "{stats}");
    let log = lesson
        .wait_for_log("refused an event stream for an origin not in ALLOWED_ORIGINS")
        .await;
    assert!(log.len() < 400, "a log line of {} bytes", log.len());
    let longest = lesson.stderr().lines().map(str::len).max().unwrap_or(0);
    assert!(longest < 1000, "a log line of {longest} bytes");
    let mut reader = connect(lesson, "fine", &[]).await;
    let (document, frame) = post(1);
    setup.posts.insert_one(document).await.expect("insert");
    assert_eq!(reader.next_frame().await, frame);
}

/// Logged-out tokens are kept with a bound: the 2,000 × 50 KB tokens that once added 98 MB are
/// refused for their length, and memory does not grow.
#[tokio::test]
async fn many_long_logouts_are_refused_and_memory_does_not_grow() {
    let setup = start(&[]).await;
    let lesson = &setup.lesson;
    let before = rss_kib(lesson.pid());
    let token = "t".repeat(50 * 1024);
    for n in 0..2000 {
        let query = format!("?token={n}{token}");
        assert_eq!(logout(lesson, &query).await, "HTTP/1.1 400 Bad Request");
    }
    let grown = rss_kib(lesson.pid()).saturating_sub(before);
    assert!(grown < 16 * 1024, "RSS grew by {grown} KiB");
    let stats = lesson.get_json("/stats").await;
    assert_eq!(stats["logged_out_tokens"], 0, "{stats}");
}

/// 2,000 readers come and go with no post sent: each leaves the fan-out when its stream is
/// dropped, not at the next post (which, on a quiet feed, may be hours away).
#[tokio::test]
async fn departed_clients_leave_the_fan_out_at_once() {
    let setup = start(&[]).await;
    let lesson = &setup.lesson;
    for round in 0..20 {
        let mut readers = Vec::new();
        for n in 0..100 {
            readers.push(connect(lesson, &format!("r{round}-{n}"), &[]).await);
        }
        drop(readers);
    }
    let stats = lesson
        .wait_for_json("/stats", "no client left", |s| {
            s["sse_clients"] == 0 && s["fan_out_clients"] == 0
        })
        .await;
    assert_eq!(stats["frames_published"], 0, "{stats}");
}

/// Hyper has a timer: a connection that sends nothing, or drips its request head a byte at a
/// time, is closed after HEADER_READ_TIMEOUT_MS; a normal request is answered meanwhile; and an
/// open event stream, whose request was read long ago, is not cut by it.
#[tokio::test]
async fn silent_and_dripping_connections_are_closed_but_event_streams_stay() {
    const TIMEOUT: Duration = Duration::from_millis(300);
    let setup = start(&[("HEADER_READ_TIMEOUT_MS", "300")]).await;
    let lesson = &setup.lesson;
    let mut reader = connect(lesson, "a", &[]).await;

    let started = Instant::now();
    let mut silent = Vec::new();
    for _ in 0..50 {
        silent.push(
            tokio::net::TcpStream::connect(lesson.addr())
                .await
                .expect("connect"),
        );
    }
    let mut dripping = tokio::net::TcpStream::connect(lesson.addr())
        .await
        .expect("connect");
    // A request is still answered while they hang on.
    let stats = lesson.get_json("/stats").await;
    assert_eq!(stats["sse_clients"], 1, "{stats}");

    // The dripping one sends a byte of a never-ending header every 50 ms (its pace, not a
    // synchronisation), and must be closed anyway.
    let drip = async {
        dripping
            .write_all(b"GET / HTTP/1.1\r\nX-Drip: ")
            .await
            .expect("write");
        loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if dripping.write_all(b"a").await.is_err() {
                return started.elapsed();
            }
        }
    };
    let closed = tokio::time::timeout(harness::DEADLINE, drip)
        .await
        .expect("the dripping connection was never closed");
    assert!(closed >= TIMEOUT, "closed after {closed:?}");
    for mut socket in silent {
        let mut buf = [0u8; 256];
        let read = tokio::time::timeout(harness::DEADLINE, socket.read(&mut buf))
            .await
            .expect("a silent connection was never closed");
        // Closed with nothing sent (0), or reset.
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    }
    assert!(started.elapsed() >= TIMEOUT);

    // The event stream opened before all that is still open, and still delivers.
    reader.assert_open_and_quiet_for(TIMEOUT * 2).await;
    let (document, frame) = post(1);
    setup.posts.insert_one(document).await.expect("insert");
    assert_eq!(reader.next_frame().await, frame);
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
        // A number far beyond any range (and beyond u64): a clear message, not a panic.
        (
            "CLIENT_BUFFER",
            "18446744073709551616",
            "error: CLIENT_BUFFER must be a number of frames from 1 to 100000, got \"18446744073709551616\"\n",
        ),
        (
            "KEEP_ALIVE_MS",
            "18446744073709551615",
            "error: KEEP_ALIVE_MS must be a whole number of milliseconds from 10 to 3600000, got \"18446744073709551615\"\n",
        ),
        (
            "WRITE_TIMEOUT_MS",
            "0",
            "error: WRITE_TIMEOUT_MS must be a whole number of milliseconds from 1 to 600000, got \"0\"\n",
        ),
        (
            "HEADER_READ_TIMEOUT_MS",
            "99999999999999999999",
            "error: HEADER_READ_TIMEOUT_MS must be a whole number of milliseconds from 1 to 600000, got \"99999999999999999999\"\n",
        ),
        (
            "SHUTDOWN_DEADLINE_MS",
            "-1",
            "error: SHUTDOWN_DEADLINE_MS must be a whole number of milliseconds from 1 to 600000, got \"-1\"\n",
        ),
        (
            "PORT",
            "70000",
            "error: PORT must be a port number from 0 to 65535 (0 picks a free one), got \"70000\"\n",
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
