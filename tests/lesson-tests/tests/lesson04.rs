//! lesson04: one change stream for the whole server, fanned out to every SSE client.
//! Runs against the practice server, or against the MongoDB in `MONGODB_URI` when it is set.

use harness::process::run_to_exit;
use harness::{Lesson, Response};
use mongodb::bson::{doc, oid::ObjectId, DateTime, Document};
use mongodb::Collection;
use practice_mongo::test_support::TestMongo;

/// A running lesson04 with its own database, and a driver handle on that database's `post`.
struct Setup {
    lesson: Lesson,
    posts: Collection<Document>,
    _mongo: TestMongo,
}

async fn start() -> Setup {
    let mongo = TestMongo::start().await.expect("a MongoDB for the test");
    let uri = mongo.uri_for_db();
    let lesson = Lesson::start_with("lesson04", &[("MONGODB_URI", &uri)]).await;
    let client = mongodb::Client::with_uri_str(&uri)
        .await
        .expect("driver connects");
    let posts = client.database(mongo.db_name()).collection("post");
    Setup {
        lesson,
        posts,
        _mongo: mongo,
    }
}

fn stats_are(sse_clients: u64) -> impl Fn(&serde_json::Value) -> bool {
    move |s| s["sse_clients"] == sse_clients && s["change_streams"] == 1
}

/// Opens `/sse` and checks the head; the client is subscribed once the head has arrived.
async fn subscribe(lesson: &Lesson) -> Response {
    let response = lesson.get("/sse").await;
    response.assert_event_stream_head();
    assert_eq!(response.header("connection"), Some("keep-alive"));
    response
}

/// A post with every kind of value the mapping in `posts::json_stringify` covers.
fn rich_post() -> Document {
    doc! {
        "_id": ObjectId::parse_str("6561f0c2a1b2c3d4e5f60718").expect("valid hex"),
        "title": "첫 글 \"인용\"",
        "body": "줄 하나\n줄 둘\r\n\ttab \\ slash",
        "views": 42,
        "rating": 4.5,
        "whole": 2.0,
        "author": { "name": "민지", "admin": false },
        "tags": ["rust", "sse", 7],
        "createdAt": DateTime::from_millis(1_795_465_931_000),
    }
}

/// The frame the notes' Node server would write for `rich_post()`:
/// `res.write('event: newPost\n')` and `res.write(`data: ${JSON.stringify(fullDocument)}\n\n`)`.
const RICH_FRAME: &str = concat!(
    "event: newPost\n",
    r#"data: {"_id":"6561f0c2a1b2c3d4e5f60718","title":"첫 글 \"인용\"","body":"줄 하나\n줄 둘\r\n\ttab \\ slash","views":42,"rating":4.5,"whole":2,"author":{"name":"민지","admin":false},"tags":["rust","sse",7],"createdAt":"2026-11-23T20:32:11.000Z"}"#,
    "\n\n"
);

#[tokio::test]
async fn every_client_gets_each_insert_as_node_would_send_it() {
    let Setup {
        lesson,
        posts,
        _mongo,
    } = start().await;
    lesson
        .wait_for_json("/stats", "one change stream, no client", stats_are(0))
        .await;

    let mut first = subscribe(&lesson).await;
    lesson
        .wait_for_json("/stats", "1 client", stats_are(1))
        .await;
    let mut second = subscribe(&lesson).await;
    lesson
        .wait_for_json("/stats", "2 clients", stats_are(2))
        .await;

    posts.insert_one(rich_post()).await.expect("insert");
    let id = ObjectId::parse_str("6561f0c2a1b2c3d4e5f60719").expect("valid hex");
    posts
        .insert_one(doc! { "_id": id, "title": "둘째" })
        .await
        .expect("insert");
    let second_frame =
        "event: newPost\ndata: {\"_id\":\"6561f0c2a1b2c3d4e5f60719\",\"title\":\"둘째\"}\n\n";

    for client in [&mut first, &mut second] {
        assert_eq!(client.next_frame().await, RICH_FRAME);
        assert_eq!(client.next_frame().await, second_frame);
    }

    drop(first);
    lesson
        .wait_for_json("/stats", "1 client left", stats_are(1))
        .await;
    drop(second);
    let stats = lesson
        .wait_for_json("/stats", "no client left", stats_are(0))
        .await;
    assert_eq!(stats["posts"], 2);
}

#[tokio::test]
async fn updates_and_deletes_send_nothing() {
    let Setup {
        lesson,
        posts,
        _mongo,
    } = start().await;
    let mut client = subscribe(&lesson).await;
    lesson
        .wait_for_json("/stats", "1 client", stats_are(1))
        .await;

    let first = ObjectId::parse_str("65a000000000000000000001").expect("valid hex");
    let last = ObjectId::parse_str("65a000000000000000000002").expect("valid hex");
    posts
        .insert_one(doc! { "_id": first, "title": "a" })
        .await
        .expect("insert");
    posts
        .update_one(doc! { "_id": first }, doc! { "$set": { "title": "b" } })
        .await
        .expect("update");
    posts
        .delete_one(doc! { "_id": first })
        .await
        .expect("delete");
    posts
        .insert_one(doc! { "_id": last, "title": "c" })
        .await
        .expect("insert");

    // Frames arrive in order, so if the update or the delete had sent anything,
    // it would come between these two.
    assert_eq!(
        client.next_frame().await,
        "event: newPost\ndata: {\"_id\":\"65a000000000000000000001\",\"title\":\"a\"}\n\n"
    );
    assert_eq!(
        client.next_frame().await,
        "event: newPost\ndata: {\"_id\":\"65a000000000000000000002\",\"title\":\"c\"}\n\n"
    );
}

#[tokio::test]
async fn unreachable_mongodb_stops_with_the_fix() {
    // A port nobody listens on: bind one, note it, and close it again.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let uri = format!(
        "mongodb://127.0.0.1:{port}/yelp-camp?directConnection=true&serverSelectionTimeoutMS=300"
    );
    let exited = run_to_exit("lesson04", &[("MONGODB_URI", &uri)]).await;
    assert_eq!(exited.status.code(), Some(3));
    assert_eq!(exited.stdout, "");
    assert_eq!(
        exited.stderr,
        format!(
            "error: cannot reach MongoDB at 127.0.0.1:{port}\n\
             the driver says: I/O error: Connection refused (os error 111)\n\
             If no MongoDB is running there, start one, then run this lesson again:\n  \
             - the practice server, in another terminal:  cargo run -p practice-mongo\n  \
             - or a real MongoDB replica set with Docker:\n      \
             docker run -d --name mongo -p 27017:27017 mongo:7 --replSet rs0\n      \
             docker exec mongo mongosh --quiet --eval 'rs.initiate()'\n\
             or point MONGODB_URI at your own server (default mongodb://127.0.0.1:27017/yelp-camp?directConnection=true)\n"
        )
    );
}

#[tokio::test]
async fn a_replica_set_name_that_does_not_match_keeps_the_drivers_reason() {
    // A running server whose replica set is `rs0`, asked for `rs1`: it is running, so the
    // message must not only say "start one", it must say what the driver saw and what to check.
    let mongo = TestMongo::start_practice(practice_mongo::Config::default())
        .await
        .expect("a practice server");
    let uri = format!(
        "{}/yelp-camp?replicaSet=rs1&serverSelectionTimeoutMS=300",
        mongo
            .base_uri()
            .split('?')
            .next()
            .unwrap_or_default()
            .trim_end_matches('/')
    );
    let exited = run_to_exit("lesson04", &[("MONGODB_URI", &uri)]).await;
    assert_eq!(exited.status.code(), Some(3), "{}", exited.stderr);
    let lines: Vec<&str> = exited.stderr.lines().collect();
    let port = mongo.practice_server().expect("practice").port();
    assert_eq!(
        lines[0],
        format!("error: cannot reach MongoDB at 127.0.0.1:{port}")
    );
    // The driver's own description of what it found (its wording is the driver's).
    assert!(
        lines[1].starts_with("the driver says: ") && lines[1].contains("rs1"),
        "{}",
        exited.stderr
    );
    assert_eq!(
        lines[2],
        "MONGODB_URI asks for the replica set \"rs1\": if MongoDB is running, check that its \
         replica set has that name (mongosh: rs.status().set), or remove replicaSet=rs1 from MONGODB_URI"
    );
    assert_eq!(
        lines[3],
        "If no MongoDB is running there, start one, then run this lesson again:"
    );
}

#[tokio::test]
async fn a_bad_uri_stops_with_a_hint() {
    let exited = run_to_exit("lesson04", &[("MONGODB_URI", "http://localhost:27017")]).await;
    assert_eq!(exited.status.code(), Some(2));
    assert!(
        exited.stderr.starts_with(
            "error: MONGODB_URI is not a MongoDB connection string: \"http://localhost:27017\" ("
        ),
        "{}",
        exited.stderr
    );
    assert!(exited.stderr.ends_with(
        ")\nhint: it looks like mongodb://127.0.0.1:27017/yelp-camp?directConnection=true\n"
    ));
}

#[tokio::test]
async fn a_standalone_server_stops_with_the_replica_set_explanation() {
    // Always the practice server in standalone mode: it answers like a `mongod` started
    // without --replSet, which is what a learner's own local MongoDB usually is.
    let standalone = practice_mongo::PracticeServer::start(
        practice_mongo::Config::default().with_standalone(true),
    )
    .await
    .expect("a standalone practice server");
    let uri = standalone.uri_for_db("yelp-camp");
    let exited = run_to_exit("lesson04", &[("MONGODB_URI", &uri)]).await;
    assert_eq!(exited.status.code(), Some(4));
    assert_eq!(exited.stdout, "");
    // It did connect (the log says so) and then explains why it cannot watch.
    let (log, error) = exited
        .stderr
        .split_once("error: ")
        .unwrap_or_else(|| panic!("no error line in {:?}", exited.stderr));
    assert!(log.contains("DATABASE CONNECTED"), "{log}");
    assert_eq!(
        error,
        "this MongoDB server cannot open change streams (error 40573: The $changeStream stage is only supported on replica sets)\n\
         Change streams read the replica set's oplog, so a standalone server (error 40573) has none.\n\
         Make it a one-member replica set:\n  \
         - start mongod with --replSet rs0 (or `replication: { replSetName: rs0 }` in mongod.conf),\n  \
         - then run once: mongosh --eval 'rs.initiate()'\n\
         With Docker: docker run -d --name mongo -p 27017:27017 mongo:7 --replSet rs0\n             \
         docker exec mongo mongosh --quiet --eval 'rs.initiate()'\n\
         Or use the practice server: cargo run -p practice-mongo\n"
    );
}

/// The practice server as a separate process (`cargo run -p practice-mongo`), so that a test can
/// stop it and start it again on the same port, as a learner does with Ctrl-C and the up arrow.
struct PracticeProcess {
    child: tokio::process::Child,
    port: u16,
}

impl PracticeProcess {
    /// Starts `practice-mongo --port <port>` (0: any free port) and waits for its
    /// `MONGODB_URI=...` line.
    async fn start(port: u16) -> PracticeProcess {
        use tokio::io::{AsyncBufReadExt, BufReader};
        let mut child = tokio::process::Command::new(harness::binaries::path_of("practice-mongo"))
            .args(["--port", &port.to_string()])
            .env_remove("RUST_LOG")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("practice-mongo starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let uri = tokio::time::timeout(harness::DEADLINE, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(uri) = line.strip_prefix("MONGODB_URI=") {
                    return uri.to_owned();
                }
            }
            panic!("practice-mongo --port {port} ended without printing MONGODB_URI=");
        })
        .await
        .expect("practice-mongo prints its MONGODB_URI");
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let port = uri
            .strip_prefix("mongodb://127.0.0.1:")
            .and_then(|rest| rest.split('/').next())
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("unexpected MONGODB_URI={uri}"));
        PracticeProcess { child, port }
    }

    /// A URI on this server with a database of this test's own, and extra URI options.
    fn uri(&self, db: &str, options: &str) -> String {
        format!(
            "mongodb://127.0.0.1:{}/{db}?directConnection=true{options}",
            self.port
        )
    }

    /// Kills the server (everything it held is gone: it is memory-only) and waits until it is.
    async fn kill(mut self) -> u16 {
        self.child.kill().await.expect("practice-mongo is killed");
        self.port
    }
}

/// The frame every reader gets when the lesson has opened its change stream again.
const RESYNC: &str = "event: resync\ndata: {\"reason\":\"change-stream-reopened\"}\n\n";

async fn insert_title(uri: &str, db: &str, id: &str, title: &str) {
    let client = mongodb::Client::with_uri_str(uri)
        .await
        .expect("driver connects");
    let id = ObjectId::parse_str(id).expect("valid hex");
    client
        .database(db)
        .collection::<Document>("post")
        .insert_one(doc! { "_id": id, "title": title })
        .await
        .expect("insert");
    client.shutdown().await;
}

/// Checks that `reader` gets `resync`, that `/stats` shows one open stream again, and that a post
/// inserted after the restart arrives; a new reader is served too.
async fn survives_a_restart(lesson: &Lesson, reader: &mut Response, uri: &str, db: &str) {
    assert_eq!(reader.next_frame().await, RESYNC);
    lesson
        .wait_for_json("/stats", "the stream open again", |s| {
            s["change_streams"] == 1 && s["reopens"] == 1
        })
        .await;
    let mut late_reader = subscribe(lesson).await;
    lesson
        .wait_for_json("/stats", "2 readers", stats_are(2))
        .await;
    insert_title(uri, db, "65b000000000000000000002", "재시작 뒤").await;
    let after =
        "event: newPost\ndata: {\"_id\":\"65b000000000000000000002\",\"title\":\"재시작 뒤\"}\n\n";
    assert_eq!(reader.next_frame().await, after);
    assert_eq!(late_reader.next_frame().await, after);
}

// These tests always use the practice server as a process: they stop and restart it, which a
// test cannot do to the real MongoDB in `MONGODB_URI`.

/// lesson04 on a practice server process of its own (`options` added to the URI), with one
/// reader subscribed and counted.
struct OnPractice {
    practice: PracticeProcess,
    uri: String,
    db: String,
    lesson: Lesson,
    reader: Response,
}

async fn start_on_practice(options: &str) -> OnPractice {
    let practice = PracticeProcess::start(0).await;
    let db = practice_mongo::test_support::fresh_db_name();
    let uri = practice.uri(&db, options);
    let lesson = Lesson::start_with("lesson04", &[("MONGODB_URI", &uri)]).await;
    let reader = subscribe(&lesson).await;
    lesson
        .wait_for_json("/stats", "1 reader", stats_are(1))
        .await;
    OnPractice {
        practice,
        uri,
        db,
        lesson,
        reader,
    }
}

#[tokio::test]
async fn a_quick_mongodb_restart_is_survived_and_readers_are_told_to_resync() {
    let OnPractice {
        practice,
        uri,
        db,
        lesson,
        mut reader,
    } = start_on_practice("").await;
    insert_title(&uri, &db, "65b000000000000000000001", "재시작 전").await;
    assert_eq!(
        reader.next_frame().await,
        "event: newPost\ndata: {\"_id\":\"65b000000000000000000001\",\"title\":\"재시작 전\"}\n\n"
    );

    // Stop MongoDB and start it again at once, on the same port.
    let port = practice.kill().await;
    let _practice = PracticeProcess::start(port).await;

    survives_a_restart(&lesson, &mut reader, &uri, &db).await;
    assert!(
        lesson
            .stderr()
            .contains("lost the change stream; opening a new one"),
        "{}",
        lesson.stderr()
    );
}

#[tokio::test]
async fn a_mongodb_outage_longer_than_server_selection_is_survived() {
    // A short server selection timeout, so that each attempt to reopen fails fast.
    let OnPractice {
        practice,
        uri,
        db,
        lesson,
        mut reader,
    } = start_on_practice("&serverSelectionTimeoutMS=300").await;

    let port = practice.kill().await;
    // MongoDB stays away until a first attempt to reopen has failed (the log says so) ...
    let failed = lesson
        .wait_for_log("could not open the change stream")
        .await;
    assert!(
        failed.contains("attempt=1")
            && failed.contains("no MongoDB server answered within the server selection timeout"),
        "{failed}"
    );
    // ... and then comes back: a later attempt opens the stream.
    let _practice = PracticeProcess::start(port).await;
    survives_a_restart(&lesson, &mut reader, &uri, &db).await;
}

#[tokio::test]
async fn when_mongodb_stays_away_it_stops_with_a_short_message_and_the_fix() {
    let OnPractice {
        practice,
        mut lesson,
        mut reader,
        ..
    } = start_on_practice("&serverSelectionTimeoutMS=300").await;
    practice.kill().await;

    // Six attempts, with waits that double (0.25 s to 4 s, see REOPEN_DELAYS): followed one
    // log line at a time, so that no single wait is longer than the harness's deadline.
    for attempt in [2, 4, 5, 6] {
        lesson.wait_for_log(&format!("attempt={attempt} ")).await;
    }
    let status = lesson.wait_for_exit().await;
    assert_eq!(status.code(), Some(1));
    let stderr = lesson.stderr();
    let error = stderr
        .lines()
        .skip_while(|line| !line.starts_with("error: "))
        .collect::<Vec<_>>();
    assert_eq!(error.len(), 2, "{stderr}");
    assert!(
        error[0].starts_with(
            "error: lost the change stream and could not open it again (6 attempts in "
        ) && error[0]
            .ends_with(" s): no MongoDB server answered within the server selection timeout"),
        "{stderr}"
    );
    assert_eq!(
        error[1],
        "hint: is MongoDB still running? Start it again (cargo run -p practice-mongo, or your own server), then run this lesson again"
    );
    // The readers' streams end with the server.
    reader.expect_closed().await;
}

#[tokio::test]
async fn hostile_requests_get_a_4xx_and_the_server_keeps_serving() {
    // lesson04 reads no query, header or body of its own: whatever a client sends is either a
    // route it has (GET /, /style.css, /sse, /stats) or turned away, and the one change stream
    // is never touched by it.
    let Setup {
        lesson,
        posts: _posts,
        _mongo,
    } = start().await;
    let huge_header = format!("X-Big: {}\r\n", "a".repeat(500_000));
    let table: Vec<(&str, Vec<u8>, u16)> = vec![
        (
            "binary request line",
            b"\x00\x01\xfe\xff\r\n\r\n".to_vec(),
            400,
        ),
        (
            "NUL in a header",
            b"GET /sse HTTP/1.1\r\nHost: t\r\nX: a\x00b\r\n\r\n".to_vec(),
            400,
        ),
        (
            "raw invalid UTF-8 in the path",
            b"GET /sse\xff HTTP/1.1\r\nHost: t\r\n\r\n".to_vec(),
            400,
        ),
        (
            "a header of 500 KB",
            format!("GET /stats HTTP/1.1\r\nHost: t\r\n{huge_header}\r\n").into_bytes(),
            431,
        ),
        (
            "POST /sse",
            b"POST /sse HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n".to_vec(),
            405,
        ),
        (
            "an unknown path",
            b"GET /nope HTTP/1.1\r\nHost: t\r\n\r\n".to_vec(),
            404,
        ),
    ];
    for (what, request, status) in table {
        let response = harness::http::send(lesson.addr(), &request).await;
        assert_eq!(response.status, status, "{what}");
        // Still serving, with its one change stream.
        lesson
            .wait_for_json("/stats", "the server after a bad request", stats_are(0))
            .await;
    }
}
