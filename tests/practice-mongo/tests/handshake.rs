//! Connecting: both URI forms, the legacy OP_QUERY handshake, and MongoDB's error shape for
//! commands we do not know.

mod common;

use bson::{doc, Document};
use common::{
    client, server_code, start_practice_without_client, start_without_client, RawConn, TestResult,
};
use mongodb::Client;
use practice_mongo::test_support::TestMongo;
use practice_mongo::{bson_encoder, crc32c, wire, Config};
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn direct_connection_uri_connects_and_pings() -> TestResult {
    let mongo = start_without_client("direct_connection_uri_connects_and_pings").await?;
    let client = client(&mongo).await?;
    let reply = client
        .database(mongo.db_name())
        .run_command(doc! { "ping": 1 })
        .await?;
    assert_eq!(reply.get_f64("ok")?, 1.0);
    Ok(())
}

/// Practice-server only: against MONGODB_URI the set name is whatever that server uses.
/// Follows the "hello" manual page (https://www.mongodb.com/docs/manual/reference/command/hello/).
#[tokio::test]
async fn practice_only_replica_set_uri_finds_the_primary() -> TestResult {
    let mongo =
        start_practice_without_client("practice_only_replica_set_uri_finds_the_primary").await?;
    let server = mongo.practice_server().expect("practice server");
    let uri = format!(
        "mongodb://127.0.0.1:{}/?replicaSet=rs0&serverSelectionTimeoutMS=5000",
        server.port()
    );
    let client = Client::with_uri_str(uri).await?;
    let coll = client
        .database(mongo.db_name())
        .collection::<Document>("post");
    // A write needs a primary: this only succeeds if the driver saw one in the set.
    coll.insert_one(doc! { "title": "hello" }).await?;
    let hello = client
        .database("admin")
        .run_command(doc! { "hello": 1 })
        .await?;
    assert_eq!(hello.get_str("setName")?, "rs0");
    assert!(hello.get_bool("isWritablePrimary")?);
    assert_eq!(hello.get_i32("maxWireVersion")?, 21);
    assert_eq!(hello.get_i32("logicalSessionTimeoutMinutes")?, 30);
    assert_eq!(hello.get_array("hosts")?.len(), 1);
    assert!(hello.get_document("$clusterTime").is_ok());
    assert!(
        hello.get("topologyVersion").is_none(),
        "topologyVersion would switch the driver to the streaming protocol"
    );
    Ok(())
}

#[tokio::test]
async fn unknown_command_is_command_not_found_59() -> TestResult {
    // Shape from the "Error Codes" manual page: { ok: 0, errmsg, code: 59, codeName }.
    let mongo = start_without_client("unknown_command_is_command_not_found_59").await?;
    let client = client(&mongo).await?;
    let err = client
        .database(mongo.db_name())
        .run_command(doc! { "frobnicate": 1 })
        .await
        .expect_err("an unknown command must fail");
    assert_eq!(server_code(&err), Some(59), "{err}");
    let mongodb::error::ErrorKind::Command(c) = &*err.kind else {
        panic!("not a command error: {err}")
    };
    assert_eq!(c.code_name, "CommandNotFound");
    assert!(c.message.contains("frobnicate"), "{}", c.message);
    Ok(())
}

#[tokio::test]
async fn build_info_reports_a_mongodb_7_version() -> TestResult {
    let mongo = start_without_client("build_info_reports_a_mongodb_7_version").await?;
    let client = client(&mongo).await?;
    let info = client
        .database("admin")
        .run_command(doc! { "buildInfo": 1 })
        .await?;
    let version = info.get_str("version")?;
    let major: u32 = version.split('.').next().unwrap_or("0").parse()?;
    assert!(
        major >= 6,
        "change streams with these features need 6+, got {version}"
    );
    Ok(())
}

/// Practice-server only (raw socket to the in-process server): the legacy handshake, an
/// OP_QUERY `isMaster` on `admin.$cmd`, answered with an OP_REPLY ("Legacy Opcodes" manual page).
#[tokio::test]
async fn practice_only_legacy_op_query_handshake_gets_op_reply() -> TestResult {
    let mongo =
        start_practice_without_client("practice_only_legacy_op_query_handshake_gets_op_reply")
            .await?;
    let server = mongo.practice_server().expect("practice server");
    let mut raw = RawConn::connect(server.address()).await?;

    let query = bson_encoder::document_bytes(&doc! { "isMaster": 1, "helloOk": true });
    let mut body = Vec::new();
    body.extend(0i32.to_le_bytes()); // flags
    body.extend(b"admin.$cmd\0");
    body.extend(0i32.to_le_bytes()); // numberToSkip
    body.extend((-1i32).to_le_bytes()); // numberToReturn
    body.extend(&query);
    let mut message = Vec::new();
    message.extend(((16 + body.len()) as i32).to_le_bytes());
    message.extend(42i32.to_le_bytes()); // requestID
    message.extend(0i32.to_le_bytes());
    message.extend(wire::OP_QUERY.to_le_bytes());
    message.extend(body);
    raw.stream.write_all(&message).await?;

    let reply = raw.read_message().await?;
    let op_code = i32::from_le_bytes(reply[12..16].try_into()?);
    let response_to = i32::from_le_bytes(reply[8..12].try_into()?);
    assert_eq!(op_code, wire::OP_REPLY);
    assert_eq!(response_to, 42);
    let number_returned = i32::from_le_bytes(reply[32..36].try_into()?);
    assert_eq!(number_returned, 1);
    let doc = Document::from_reader(&reply[36..])?;
    assert!(doc.get_bool("ismaster")?);
    assert_eq!(doc.get_str("setName")?, "rs0");

    // Other commands over OP_QUERY get MongoDB 6+'s refusal, code 352.
    let ping = bson_encoder::document_bytes(&doc! { "ping": 1 });
    let mut body = Vec::new();
    body.extend(0i32.to_le_bytes());
    body.extend(b"admin.$cmd\0");
    body.extend(0i32.to_le_bytes());
    body.extend((-1i32).to_le_bytes());
    body.extend(&ping);
    let mut message = Vec::new();
    message.extend(((16 + body.len()) as i32).to_le_bytes());
    message.extend(43i32.to_le_bytes());
    message.extend(0i32.to_le_bytes());
    message.extend(wire::OP_QUERY.to_le_bytes());
    message.extend(body);
    raw.stream.write_all(&message).await?;
    let reply = raw.read_message().await?;
    let doc = Document::from_reader(&reply[36..])?;
    assert_eq!(doc.get_i32("code")?, 352);
    Ok(())
}

/// Practice-server only: OP_MSG with the checksum flag and a correct CRC-32C is accepted.
#[tokio::test]
async fn practice_only_checksummed_op_msg_is_answered() -> TestResult {
    let mongo = TestMongo::start_practice(Config::default()).await?;
    let server = mongo.practice_server().expect("practice server");
    let mut raw = RawConn::connect(server.address()).await?;
    let body = bson_encoder::document_bytes(&doc! { "ping": 1, "$db": "admin" });
    let len = 16 + 4 + 1 + body.len() + 4;
    let mut message = Vec::new();
    message.extend((len as i32).to_le_bytes());
    message.extend(7i32.to_le_bytes());
    message.extend(0i32.to_le_bytes());
    message.extend(wire::OP_MSG.to_le_bytes());
    message.extend(wire::FLAG_CHECKSUM_PRESENT.to_le_bytes());
    message.push(0);
    message.extend(&body);
    let crc = crc32c::checksum(&message);
    message.extend(crc.to_le_bytes());
    raw.stream.write_all(&message).await?;
    let reply = raw.read_message().await?;
    let wire::Request::Msg { command, .. } = wire::parse_message(&reply)? else {
        panic!("not an OP_MSG reply");
    };
    assert_eq!(command.get_f64("ok")?, 1.0);
    Ok(())
}

/// A standalone mongod names no replica set in `hello` and refuses change streams with 40573
/// (manual: "Change Streams" > "Availability": replica sets and sharded clusters only).
#[tokio::test]
async fn practice_only_standalone_mode_refuses_change_streams_with_40573() {
    let server = practice_mongo::PracticeServer::start(
        practice_mongo::Config::default().with_standalone(true),
    )
    .await
    .expect("server starts");
    let client = mongodb::Client::with_uri_str(server.uri_for_db("standalone"))
        .await
        .expect("client");
    let db = client.database("standalone");
    let hello = db
        .run_command(mongodb::bson::doc! { "hello": 1 })
        .await
        .expect("hello");
    assert!(!hello.contains_key("setName"), "{hello}");
    assert_eq!(hello.get_bool("isWritablePrimary"), Ok(true));

    let posts = db.collection::<mongodb::bson::Document>("post");
    posts
        .insert_one(mongodb::bson::doc! { "a": 1 })
        .await
        .expect("writes work");
    let err = posts.watch().await.expect_err("no change streams");
    match *err.kind {
        mongodb::error::ErrorKind::Command(ref command) => {
            assert_eq!(command.code, 40573);
            assert_eq!(command.code_name, "Location40573");
            assert_eq!(
                command.message,
                "The $changeStream stage is only supported on replica sets"
            );
        }
        ref other => panic!("expected a command error, got {other:?}"),
    }
    client.shutdown().await;
}
