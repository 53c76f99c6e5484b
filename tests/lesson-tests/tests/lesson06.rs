//! lesson06: every post carries its resume token as `id:`, and a client that comes back with
//! `Last-Event-ID` gets exactly the posts it missed, in order, then live ones; an id that cannot be
//! resumed gets `200` and `event: resync`. Runs against the practice server, or `MONGODB_URI`.
//!
//! The test opens a change stream of its own on the same collection: it sees the same events with
//! the same resume tokens, so it knows the exact id the lesson must put on each frame.

use std::time::Duration;

use harness::{http, Lesson, Response};
use mongodb::bson::{self, doc, oid::ObjectId, Bson, Document};
use mongodb::change_stream::event::ChangeStreamEvent;
use mongodb::change_stream::ChangeStream;
use mongodb::Collection;
use practice_mongo::test_support::TestMongo;
use practice_mongo::Config;
use tokio::time::timeout;

const RETRY: &str = "retry: 1000\n\n";

/// A running lesson06, a driver handle on its `post` collection, and the test's own change stream.
struct Setup {
    lesson: Lesson,
    posts: Collection<Document>,
    tokens: ChangeStream<ChangeStreamEvent<Document>>,
    _mongo: TestMongo,
}

async fn start_with(mongo: TestMongo, env: &[(&str, &str)]) -> Setup {
    let uri = mongo.uri_for_db();
    let mut env = env.to_vec();
    env.push(("MONGODB_URI", &uri));
    let lesson = Lesson::start_with("lesson06", &env).await;
    let client = mongodb::Client::with_uri_str(&uri)
        .await
        .expect("driver connects");
    let posts: Collection<Document> = client.database(mongo.db_name()).collection("post");
    let tokens = posts
        .watch()
        .pipeline([doc! { "$match": { "operationType": "insert" } }])
        .await
        .expect("the test's own change stream");
    Setup {
        lesson,
        posts,
        tokens,
        _mongo: mongo,
    }
}

async fn start() -> Setup {
    start_with(TestMongo::start().await.expect("a MongoDB"), &[]).await
}

impl Setup {
    /// Inserts post `n` and returns the exact frame lesson06 must send for it.
    async fn insert(&mut self, n: u8) -> String {
        let id = ObjectId::parse_str(format!("65a0000000000000000000{n:02x}")).expect("hex");
        self.posts
            .insert_one(doc! { "_id": id, "title": format!("글 {n}") })
            .await
            .expect("insert");
        let event = timeout(harness::DEADLINE, next_event(&mut self.tokens))
            .await
            .expect("the test's change stream sees the insert");
        format!(
            "event: newPost\ndata: {{\"_id\":\"{}\",\"title\":\"글 {n}\"}}\nid: {}\n\n",
            id.to_hex(),
            sse_id(&event)
        )
    }

    async fn streams_open(&self, n: u64) {
        self.lesson
            .wait_for_json("/stats", &format!("{n} change streams"), |s| {
                s["change_streams"] == n
            })
            .await;
    }
}

/// The id lesson06 sends for an event: its token's `_data` (MongoDB and the practice server
/// write tokens as `{_data: "<hex>"}`; lesson06's unit tests cover any other shape).
fn sse_id(event: &ChangeStreamEvent<Document>) -> String {
    let Ok(Bson::Document(token)) = bson::to_bson(&event.id) else {
        panic!("a resume token is a document: {:?}", event.id);
    };
    assert_eq!(token.len(), 1, "a token with only _data: {token}");
    token
        .get_str("_data")
        .expect("_data is a string")
        .to_owned()
}

/// The next event on the test's own change stream.
async fn next_event(
    stream: &mut ChangeStream<ChangeStreamEvent<Document>>,
) -> ChangeStreamEvent<Document> {
    loop {
        match stream.next_if_any().await {
            Ok(Some(event)) => return event,
            Ok(None) => continue, // an empty batch: ask again (each ask waits for news)
            Err(err) => panic!("the test's change stream failed: {err}"),
        }
    }
}

/// The id of a `newPost` frame: what the browser would send back as `Last-Event-ID`.
fn post_id(frame: &str) -> String {
    frame
        .rsplit_once("\nid: ")
        .and_then(|(_, rest)| rest.strip_suffix("\n\n"))
        .unwrap_or_else(|| panic!("no id line in {frame:?}"))
        .to_owned()
}

/// Opens `/sse` (with `Last-Event-ID` if given) and checks the head and the first frame.
async fn connect(lesson: &Lesson, last_event_id: Option<&str>) -> Response {
    let headers: Vec<(&str, &str)> = last_event_id
        .map(|id| ("Last-Event-ID", id))
        .into_iter()
        .collect();
    let mut response = http::get(lesson.addr(), "/sse", &headers).await;
    assert_eq!(response.status_line, "HTTP/1.1 200 OK");
    assert_eq!(response.header("content-type"), Some("text/event-stream"));
    assert_eq!(response.header("cache-control"), Some("no-cache"));
    assert_eq!(response.header("transfer-encoding"), Some("chunked"));
    assert_eq!(
        response.next_frame().await,
        RETRY,
        "the stream starts with retry:"
    );
    response
}

/// The id in a frame that ends with `id: <id>\n\n` after `prefix`; checks that it is safe hex.
fn id_after(frame: &str, prefix: &str) -> String {
    let id = frame
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix("id: "))
        .and_then(|rest| rest.strip_suffix("\n\n"))
        .unwrap_or_else(|| panic!("expected {prefix:?} + `id: <id>`, got {frame:?}"));
    assert!(
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id:?}"
    );
    id.to_owned()
}

#[tokio::test]
async fn a_returning_client_gets_exactly_the_posts_it_missed_then_live_ones() {
    let mut setup = start().await;
    let mut client = connect(&setup.lesson, None).await;
    id_after(&client.next_frame().await, ""); // where it starts
    let first = setup.insert(1).await;
    assert_eq!(client.next_frame().await, first);
    drop(client);
    setup.streams_open(0).await; // its cursor is closed with it

    let missed = [
        setup.insert(2).await,
        setup.insert(3).await,
        setup.insert(4).await,
    ];
    let first_id = post_id(&first);
    let mut back = connect(&setup.lesson, Some(&first_id)).await;
    // Frames come in order, so anything extra (post 1 again, a resync, ...) would show up here.
    for frame in &missed {
        assert_eq!(back.next_frame().await, *frame);
    }
    let live = setup.insert(5).await;
    assert_eq!(back.next_frame().await, live);
    back.assert_open_and_quiet_for(Duration::from_millis(200))
        .await;
}

#[tokio::test]
async fn a_client_that_saw_no_post_resumes_from_its_first_id() {
    let mut setup = start().await;
    let mut client = connect(&setup.lesson, None).await;
    let start_id = id_after(&client.next_frame().await, "");
    drop(client);
    setup.streams_open(0).await;

    let missed = [setup.insert(1).await, setup.insert(2).await];
    let mut back = connect(&setup.lesson, Some(&start_id)).await;
    for frame in &missed {
        assert_eq!(back.next_frame().await, *frame);
    }
}

#[tokio::test]
async fn an_id_that_is_not_ours_gets_200_resync_then_live_posts() {
    let mut setup = start().await;
    setup.insert(1).await;
    // Not hex; hex that MongoDB refuses as a token; a long form (an empty BSON document) that
    // MongoDB refuses too.
    for garbage in ["not a token", "ABCD", "~0500000000"] {
        let mut client = connect(&setup.lesson, Some(garbage)).await;
        let resync = client.next_frame().await;
        let here = id_after(&resync, "event: resync\ndata: {\"reason\":\"bad-id\"}\n");
        let live = setup.insert(2).await;
        assert_eq!(client.next_frame().await, live, "after {garbage:?}");
        drop(client);

        // The resync frame's id is a real position: resuming from it replays post 2 only.
        let mut back = connect(&setup.lesson, Some(&here)).await;
        assert_eq!(back.next_frame().await, live);
        drop(back);
        setup.posts.delete_many(doc! {}).await.expect("clean up");
        setup.streams_open(0).await;
    }
}

#[tokio::test]
async fn bytes_that_are_not_even_text_still_get_200_and_resync() {
    let setup = start().await;
    // HTTP allows bytes 0x80-0xFF in a header value; they are not UTF-8 here.
    let request = format!(
        "GET /sse HTTP/1.1\r\nHost: {}\r\nLast-Event-ID: ",
        setup.lesson.addr()
    );
    let mut request = request.into_bytes();
    request.extend_from_slice(b"\xff\xfe\r\n\r\n");
    let mut client = http::send(setup.lesson.addr(), &request).await;
    assert_eq!(client.status_line, "HTTP/1.1 200 OK");
    assert_eq!(client.next_frame().await, RETRY);
    id_after(
        &client.next_frame().await,
        "event: resync\ndata: {\"reason\":\"bad-id\"}\n",
    );
}

/// `~` and the hex of `{ "": { "": ... {} } }`, `levels` deep: a long-form id that is valid BSON
/// but not a token. Built by hand (BSON's own writer is recursive).
fn nested_id(levels: usize) -> String {
    let mut document = vec![5, 0, 0, 0, 0]; // {}
    for _ in 0..levels {
        // length, type 0x03 (a document), the key "" (only its NUL), the value, the final NUL
        let length = i32::try_from(4 + 1 + 1 + document.len() + 1).expect("small");
        let mut outer = length.to_le_bytes().to_vec();
        outer.extend([0x03, 0x00]);
        outer.append(&mut document);
        outer.push(0x00);
        document = outer;
    }
    let hex: String = document.iter().map(|b| format!("{b:02x}")).collect();
    format!("~{hex}")
}

#[tokio::test]
async fn a_deeply_nested_id_gets_resync_and_the_server_lives_on() {
    let setup = start().await;
    // 130 levels (1.8 KB) overflowed the stack and killed the server (exit 134); 290 is the
    // deepest that fits in the 4,096 characters the server reads.
    for levels in [130, 290] {
        let id = nested_id(levels);
        assert!(id.len() <= 4096, "{}", id.len());
        let mut client = connect(&setup.lesson, Some(&id)).await;
        id_after(
            &client.next_frame().await,
            "event: resync\ndata: {\"reason\":\"bad-id\"}\n",
        );
    }
    // Still serving.
    let stats = setup.lesson.get_json("/stats").await;
    assert!(stats["change_streams"].is_number(), "{stats}");
}

#[tokio::test]
async fn practice_only_a_token_older_than_the_history_gets_resync() {
    // A practice server that keeps only the last 2 change events: posts 2-4 push post 1's out.
    let mongo = TestMongo::start_practice(Config::default().with_history_limit(2))
        .await
        .expect("a practice server");
    let mut setup = start_with(mongo, &[]).await;
    let mut client = connect(&setup.lesson, None).await;
    id_after(&client.next_frame().await, "");
    let first = setup.insert(1).await;
    assert_eq!(client.next_frame().await, first);
    drop(client);
    for n in 2..=4 {
        setup.insert(n).await;
    }

    let first_id = post_id(&first);
    let mut back = connect(&setup.lesson, Some(&first_id)).await;
    id_after(
        &back.next_frame().await,
        "event: resync\ndata: {\"reason\":\"history-lost\"}\n",
    );
    let live = setup.insert(5).await;
    assert_eq!(back.next_frame().await, live);
}

/// The whole busy answer an `EventSource` gets (it asks with `Accept: text/event-stream`).
const BUSY_STREAM: &str = "retry: 5000\n\nevent: busy\ndata: {\"retry_ms\":5000}\n\n";

/// A request for `/sse` with exactly these header lines (raw bytes, so anything can be sent).
fn sse_request(setup: &Setup, lines: &[&[u8]]) -> Vec<u8> {
    let mut request =
        format!("GET /sse HTTP/1.1\r\nHost: {}\r\n", setup.lesson.addr()).into_bytes();
    for line in lines {
        request.extend_from_slice(line);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"\r\n");
    request
}

#[tokio::test]
async fn past_max_clients_the_answer_is_busy_at_once_and_the_slot_comes_back() {
    let mut setup = start_with(
        TestMongo::start().await.expect("a MongoDB"),
        &[("MAX_CLIENTS", "1")],
    )
    .await;
    let mut first = connect(&setup.lesson, None).await;
    id_after(&first.next_frame().await, "");

    // An EventSource: 200 and a stream that says "come back in 5 s" and ends. (A 503 would make
    // the browser give up for good; a stream that ends makes it reconnect after `retry`.)
    let request = sse_request(&setup, &[b"Accept: text/event-stream"]);
    let mut busy = http::send(setup.lesson.addr(), &request).await;
    assert_eq!(busy.status_line, "HTTP/1.1 200 OK");
    assert_eq!(busy.header("content-type"), Some("text/event-stream"));
    assert_eq!(busy.header("cache-control"), Some("no-cache"));
    assert_eq!(busy.read_to_end().await, BUSY_STREAM.as_bytes());

    // Anything else (curl sends `Accept: */*`): the plain HTTP answer.
    let mut busy = http::get(setup.lesson.addr(), "/sse", &[]).await;
    assert_eq!(busy.status_line, "HTTP/1.1 503 Service Unavailable");
    assert_eq!(busy.header("retry-after"), Some("5"));
    assert_eq!(
        busy.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        busy.read_to_end().await,
        "all 1 event streams are in use (MAX_CLIENTS); try again in 5 seconds\n".as_bytes()
    );
    let stats = setup.lesson.get_json("/stats").await;
    assert_eq!(stats["busy_answers"], 2, "{stats}");
    assert_eq!(stats["change_streams"], 1, "{stats}");
    assert_eq!(stats["sse_clients"], 1, "{stats}");

    // The first client still gets its posts; when it leaves, its slot is free for the next one.
    let post = setup.insert(1).await;
    assert_eq!(first.next_frame().await, post);
    drop(first);
    setup.streams_open(0).await;
    let mut second = connect(&setup.lesson, None).await;
    id_after(&second.next_frame().await, "");
    let post = setup.insert(2).await;
    assert_eq!(second.next_frame().await, post);
}

#[tokio::test]
async fn a_client_with_no_frame_for_idle_timeout_is_ended_and_frees_its_slot() {
    let mut setup = start_with(
        TestMongo::start().await.expect("a MongoDB"),
        &[("MAX_CLIENTS", "1"), ("IDLE_TIMEOUT_MS", "300")],
    )
    .await;
    let started = tokio::time::Instant::now();
    let mut idle = connect(&setup.lesson, None).await;
    let here = id_after(&idle.next_frame().await, "");
    assert_eq!(
        idle.next_frame().await,
        ": no post for 300 ms; reconnect to carry on\n\n"
    );
    assert_eq!(idle.read_to_end().await, b"", "the response ends");
    // A lower bound only: a loaded machine can make it later, never earlier.
    assert!(started.elapsed() >= Duration::from_millis(300));
    setup.streams_open(0).await;

    // The slot is free, and coming back with the id misses nothing.
    let missed = setup.insert(1).await;
    let mut back = connect(&setup.lesson, Some(&here)).await;
    assert_eq!(back.next_frame().await, missed);
}

#[tokio::test]
async fn bad_settings_say_which_and_what_range() {
    // Never reached: each bad setting stops the program before it connects.
    let unreachable = "mongodb://127.0.0.1:1/x?serverSelectionTimeoutMS=100";
    let cases = [
        ("MAX_CLIENTS", "18446744073709551615", "1 to 10000"),
        ("MAX_CLIENTS", "99999999999999999999", "1 to 10000"),
        ("MAX_CLIENTS", "4294967296", "1 to 10000"),
        ("MAX_CLIENTS", "10001", "1 to 10000"),
        ("MAX_CLIENTS", "0", "1 to 10000"),
        ("MAX_CLIENTS", "-1", "1 to 10000"),
        ("MAX_CLIENTS", "", "1 to 10000"),
        ("MAX_CLIENTS", "many", "1 to 10000"),
        ("IDLE_TIMEOUT_MS", "0", "100 to 86400000"),
        ("IDLE_TIMEOUT_MS", "86400001", "100 to 86400000"),
        ("IDLE_TIMEOUT_MS", "1.5", "100 to 86400000"),
    ];
    for (name, value, range) in cases {
        let exited = harness::process::run_to_exit(
            "lesson06",
            &[(name, value), ("MONGODB_URI", unreachable)],
        )
        .await;
        assert_eq!(
            exited.status.code(),
            Some(2),
            "{name}={value}: {}",
            exited.stderr
        );
        assert_eq!(
            exited.stderr,
            format!("error: {name} must be a whole number from {range}, got {value:?}\n"),
            "{name}={value}"
        );
        assert_eq!(exited.stdout, "", "{name}={value}");
    }
}

#[tokio::test]
async fn a_huge_last_event_id_is_logged_as_a_short_prefix_and_its_length() {
    let setup = start().await;
    let huge = "A".repeat(100_000);
    let mut client = connect(&setup.lesson, Some(&huge)).await;
    id_after(
        &client.next_frame().await,
        "event: resync\ndata: {\"reason\":\"bad-id\"}\n",
    );
    let line = setup.lesson.wait_for_log("len=100000").await;
    assert!(
        line.contains(&format!("id=\"{}\"", "A".repeat(64))),
        "{line}"
    );
    assert!(
        line.len() < 400,
        "a log line of {} bytes: {line}",
        line.len()
    );
}

/// What `/sse` must answer to one kind of bad input.
enum Answer {
    /// `200`, `retry:`, and a stream from now (`id:` only): the header is as good as absent.
    Fresh,
    /// `200`, `retry:`, `event: resync` with `bad-id`.
    Resync,
    /// This status from the HTTP layer (hyper refuses the request before our code sees it).
    Refused(&'static str),
}

#[tokio::test]
async fn every_header_sse_reads_answers_bad_input_clearly_and_the_server_goes_on() {
    let setup = start().await;
    let huge = format!("Last-Event-ID: {}", "A".repeat(100_000));
    let huge_accept = format!("Accept: {}", "text/html, ".repeat(10_000));
    let nested = format!("Last-Event-ID: {}", nested_id(290));
    let cases: [(&str, Vec<&[u8]>, Answer); 14] = [
        (
            "Last-Event-ID: huge (100 KB)",
            vec![huge.as_bytes()],
            Answer::Resync,
        ),
        (
            "Last-Event-ID: empty",
            vec![b"Last-Event-ID:"],
            Answer::Fresh,
        ),
        (
            "Last-Event-ID: not UTF-8",
            vec![b"Last-Event-ID: \xff\xfe"],
            Answer::Resync,
        ),
        (
            "Last-Event-ID: binary",
            vec![b"Last-Event-ID: \x01\x02"],
            Answer::Refused("400 Bad Request"),
        ),
        (
            "Last-Event-ID: NUL",
            vec![b"Last-Event-ID: 82\x00AB"],
            Answer::Refused("400 Bad Request"),
        ),
        (
            "Last-Event-ID: lone CR",
            vec![b"Last-Event-ID: 82\rAB"],
            Answer::Refused("400 Bad Request"),
        ),
        (
            "Last-Event-ID: LF, a header line without a colon",
            vec![b"Last-Event-ID: 82\nAB"],
            Answer::Refused("400 Bad Request"),
        ),
        (
            "Last-Event-ID: deeply nested BSON",
            vec![nested.as_bytes()],
            Answer::Resync,
        ),
        (
            "Last-Event-ID: a long form that is not a token",
            vec![b"Last-Event-ID: ~0d000000105f646174610005000000"],
            Answer::Resync,
        ),
        (
            "Last-Event-ID: twice",
            vec![b"Last-Event-ID: 82AB", b"Last-Event-ID: 82CD"],
            Answer::Resync,
        ),
        (
            "Last-Event-ID: spaces only",
            vec![b"Last-Event-ID:    "],
            Answer::Fresh,
        ),
        (
            "Accept: huge (110 KB)",
            vec![huge_accept.as_bytes()],
            Answer::Fresh,
        ),
        (
            "Accept: empty, not UTF-8, twice",
            vec![b"Accept:", b"Accept: \xff"],
            Answer::Fresh,
        ),
        (
            "Accept: no event stream in it",
            vec![b"Accept: application/json"],
            Answer::Fresh,
        ),
    ];
    for (what, lines, answer) in cases {
        let mut response = http::send(setup.lesson.addr(), &sse_request(&setup, &lines)).await;
        match answer {
            Answer::Refused(status) => {
                assert_eq!(response.status_line, format!("HTTP/1.1 {status}"), "{what}");
                response.expect_closed().await;
            }
            Answer::Fresh | Answer::Resync => {
                assert_eq!(response.status_line, "HTTP/1.1 200 OK", "{what}");
                assert_eq!(response.next_frame().await, RETRY, "{what}");
                let frame = response.next_frame().await;
                let prefix = match answer {
                    Answer::Resync => "event: resync\ndata: {\"reason\":\"bad-id\"}\n",
                    _ => "",
                };
                id_after(&frame, prefix);
            }
        }
        drop(response);
        // The server goes on: the next request is answered.
        let stats = setup.lesson.get_json("/stats").await;
        assert!(stats["change_streams"].is_number(), "after {what}: {stats}");
    }
}

#[tokio::test]
async fn the_page_and_its_script_are_served() {
    let setup = start().await;
    let mut page = setup.lesson.get("/").await;
    let page = String::from_utf8(page.read_to_end().await).expect("UTF-8");
    assert!(page.contains(r#"<script src="/lesson06.js"></script>"#));
    let mut script = setup.lesson.get("/lesson06.js").await;
    assert_eq!(
        script.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    let script = String::from_utf8(script.read_to_end().await).expect("UTF-8");
    assert!(script.contains("new EventSource('/sse')"));
    assert!(script.contains("addEventListener('resync'"));
    assert!(!script.contains("innerHTML") && !script.contains("insertAdjacentHTML"));
}
