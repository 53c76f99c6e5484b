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
    assert_eq!(response.status_line, "HTTP/1.1 200 OK");
    assert_eq!(response.header("content-type"), Some("text/event-stream"));
    assert_eq!(response.header("cache-control"), Some("no-cache"));
    assert_eq!(response.header("connection"), Some("keep-alive"));
    assert_eq!(response.header("transfer-encoding"), Some("chunked"));
    response
}

/// A post with every kind of value the mapping in `node_json.rs` covers.
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
            "error: cannot reach MongoDB at 127.0.0.1:{port} (no server answered within the server selection timeout)\n\
             Start one, then run this lesson again:\n  \
             - the practice server, in another terminal:  cargo run -p practice-mongo\n  \
             - or a real MongoDB replica set with Docker:\n      \
             docker run -d --name mongo -p 27017:27017 mongo:7 --replSet rs0\n      \
             docker exec mongo mongosh --quiet --eval 'rs.initiate()'\n\
             or point MONGODB_URI at your own server (default mongodb://127.0.0.1:27017/yelp-camp?directConnection=true)\n"
        )
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
