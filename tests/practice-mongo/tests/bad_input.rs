//! Bad wire input, case by case: every message a careless or hostile client can send gets
//! either a MongoDB error reply (and the connection carries on) or a closed connection, and the
//! server keeps serving. The rule (see `src/wire.rs`): a message whose framing is wrong closes
//! its connection; a well-framed message whose BSON is refused is answered with `ok: 0`.
//!
//! The garbage is sent to the in-process practice server only (`practice_only_`), never to a
//! real MongoDB in `MONGODB_URI`. The 16 MiB limit on updates is checked against either.

mod common;

use bson::{doc, Document};
use common::{
    client, ping, server_code, start, start_practice, start_practice_without_client, RawConn,
    TestResult, DEADLINE,
};
use practice_mongo::{bson_encoder, wire, Config};
use tokio::io::AsyncWriteExt;

/// What the server must do with a message.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Close the connection, without a reply.
    Closed,
    /// Answer `ok: 0` with this code, then answer the next message on the same connection.
    Refused(i32),
}

// ---- raw BSON, built by hand so that it can be wrong ----

/// A document around already-encoded elements.
fn raw_doc(elements: &[u8]) -> Vec<u8> {
    let mut d = ((4 + elements.len() + 1) as i32).to_le_bytes().to_vec();
    d.extend(elements);
    d.push(0);
    d
}

fn element(kind: u8, key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut e = vec![kind];
    e.extend(key);
    e.push(0);
    e.extend(value);
    e
}

fn int32(key: &str, value: i32) -> Vec<u8> {
    element(0x10, key.as_bytes(), &value.to_le_bytes())
}

/// A string element whose bytes need not be UTF-8.
fn string(key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut v = ((value.len() + 1) as i32).to_le_bytes().to_vec();
    v.extend(value);
    v.push(0);
    element(0x02, key, &v)
}

/// `{ ping: 1, $db: "admin", <extra> }`, as raw bytes.
fn ping_with(extra: &[u8]) -> Vec<u8> {
    raw_doc(&[int32("ping", 1), string(b"$db", b"admin"), extra.to_vec()].concat())
}

/// `{ a: { a: { ... {} } } }`, `levels` deep, built without recursion.
fn nested(levels: usize) -> Vec<u8> {
    let mut doc = Vec::with_capacity(levels * 9 + 5);
    for i in 0..levels {
        let size = 5 + 8 * (levels - i);
        doc.extend((size as i32).to_le_bytes());
        doc.extend([0x03, b'a', 0]);
    }
    doc.extend([5, 0, 0, 0, 0]);
    doc.extend(std::iter::repeat_n(0u8, levels));
    doc
}

// ---- messages ----

fn header(length: i32, op_code: i32) -> Vec<u8> {
    [length, 7, 0, op_code]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect()
}

/// An OP_MSG (no flags) with one kind 0 section holding `body`, whatever its bytes.
fn op_msg(body: &[u8]) -> Vec<u8> {
    let mut m = header((16 + 4 + 1 + body.len()) as i32, wire::OP_MSG);
    m.extend(0u32.to_le_bytes());
    m.push(0);
    m.extend(body);
    m
}

/// An OP_MSG `insert` into `db.post` whose documents go in a kind 1 sequence, raw.
fn insert_sequence(db: &str, documents: &[Vec<u8>]) -> Vec<u8> {
    let body = bson_encoder::document_bytes(&doc! { "insert": "post", "$db": db });
    let mut sequence = b"documents\0".to_vec();
    for d in documents {
        sequence.extend(d);
    }
    let mut sections = vec![0u8];
    sections.extend(body);
    sections.push(1);
    sections.extend(((4 + sequence.len()) as i32).to_le_bytes());
    sections.extend(sequence);
    let mut m = header((16 + 4 + sections.len()) as i32, wire::OP_MSG);
    m.extend(0u32.to_le_bytes());
    m.extend(sections);
    m
}

/// A legacy OP_QUERY `isMaster` on `admin.$cmd` whose query document is `query`, raw.
fn op_query(query: &[u8]) -> Vec<u8> {
    let mut body = 0i32.to_le_bytes().to_vec();
    body.extend(b"admin.$cmd\0");
    body.extend(0i32.to_le_bytes());
    body.extend((-1i32).to_le_bytes());
    body.extend(query);
    let mut m = header((16 + body.len()) as i32, wire::OP_QUERY);
    m.extend(body);
    m
}

/// The reply document of an OP_MSG or OP_REPLY message.
fn reply_document(message: &[u8]) -> Document {
    let op_code = i32::from_le_bytes([message[12], message[13], message[14], message[15]]);
    let start = match op_code {
        wire::OP_MSG => 16 + 4 + 1,
        wire::OP_REPLY => 16 + 4 + 8 + 4 + 4,
        other => panic!("reply with op code {other}"),
    };
    bson::from_slice(&message[start..]).expect("the reply is a BSON document")
}

/// Sends `bytes` on a new connection (then, with `hang_up`, closes our sending side) and checks
/// that the server does what `expect` says.
async fn check_case(
    addr: std::net::SocketAddr,
    name: &str,
    bytes: &[u8],
    hang_up: bool,
    expect: Expect,
) -> TestResult {
    let mut raw = RawConn::connect(addr).await?;
    raw.stream.write_all(bytes).await?;
    if hang_up {
        raw.stream.shutdown().await?;
    }
    match expect {
        Expect::Closed => {
            assert!(
                raw.closed_by_server().await,
                "{name}: the connection should have been closed"
            );
        }
        Expect::Refused(code) => {
            let reply = tokio::time::timeout(DEADLINE, raw.read_message()).await??;
            let reply = reply_document(&reply);
            assert_eq!(reply.get_f64("ok"), Ok(0.0), "{name}: {reply}");
            assert_eq!(reply.get_i32("code"), Ok(code), "{name}: {reply}");
            assert!(!reply.get_str("errmsg")?.is_empty(), "{name}: {reply}");
            // The framing was right, so the same connection goes on.
            let pong = tokio::time::timeout(DEADLINE, raw.command(ping())).await??;
            assert_eq!(pong.get_f64("ok"), Ok(1.0), "{name}: the next ping: {pong}");
        }
    }
    Ok(())
}

#[tokio::test]
async fn practice_only_bad_wire_input_gets_an_error_or_a_closed_connection() -> TestResult {
    let mongo = start_practice_without_client(
        "practice_only_bad_wire_input_gets_an_error_or_a_closed_connection",
    )
    .await?;
    let server = mongo.practice_server().expect("practice server");
    let addr = server.address();
    let db = mongo.db_name().to_owned();
    let good_ping = wire::encode_op_msg(0, 1, &ping());
    // The driver's connections exist before the count is taken.
    let client = client(&mongo).await?;
    let posts = client.database(&db).collection::<Document>("post");
    assert_eq!(posts.count_documents(doc! {}).await?, 0);

    use Expect::{Closed, Refused};
    let cases: Vec<(&str, Vec<u8>, bool, Expect)> = vec![
        // The header: refused before any body is waited for or allocated.
        (
            "length over 48,000,000",
            header(48_000_001, wire::OP_MSG),
            false,
            Closed,
        ),
        (
            "length i32::MAX",
            header(i32::MAX, wire::OP_MSG),
            false,
            Closed,
        ),
        ("negative length", header(-1, wire::OP_MSG), false, Closed),
        (
            "length shorter than the header",
            header(15, wire::OP_MSG),
            false,
            Closed,
        ),
        ("length 0", header(0, wire::OP_MSG), false, Closed),
        ("unknown op code 2010", header(16, 2010), false, Closed),
        (
            "legacy OP_INSERT (2002)",
            [header(21, 2002), vec![0; 5]].concat(),
            false,
            Closed,
        ),
        (
            "OP_REPLY sent to the server",
            header(16, wire::OP_REPLY),
            false,
            Closed,
        ),
        // Truncated: the client hangs up in the middle of a message.
        ("truncated header", good_ping[..9].to_vec(), true, Closed),
        (
            "truncated body",
            good_ping[..good_ping.len() - 3].to_vec(),
            true,
            Closed,
        ),
        // OP_MSG structure.
        (
            "unknown required flag bit",
            {
                let mut m = good_ping.clone();
                m[16] = 1 << 5;
                m
            },
            false,
            Closed,
        ),
        (
            "wrong checksum",
            {
                let mut m = good_ping.clone();
                m[16] = 1; // checksumPresent
                m.extend(0xDEAD_BEEFu32.to_le_bytes());
                let len = m.len() as i32;
                m[..4].copy_from_slice(&len.to_le_bytes());
                m
            },
            false,
            Closed,
        ),
        (
            "unknown section kind",
            {
                let mut m = good_ping.clone();
                m[20] = 9;
                m
            },
            false,
            Closed,
        ),
        // Invalid BSON in a well-framed message: an error reply.
        (
            "document length past the message",
            {
                let mut m = good_ping.clone();
                m[21..25].copy_from_slice(&1000i32.to_le_bytes());
                m
            },
            false,
            Refused(22),
        ),
        (
            "unknown BSON type 0x7E",
            op_msg(&ping_with(&element(0x7E, b"x", &[]))),
            false,
            Refused(22),
        ),
        (
            "string length past its document",
            op_msg(&ping_with(&element(0x02, b"s", &1000i32.to_le_bytes()))),
            false,
            Refused(22),
        ),
        (
            "invalid UTF-8 in a string value",
            op_msg(&ping_with(&string(b"title", b"\xFF\xFE"))),
            false,
            Refused(22),
        ),
        (
            "invalid UTF-8 in a field name",
            op_msg(&ping_with(&int32_raw_key(b"\xC3\x28"))),
            false,
            Refused(22),
        ),
        (
            "invalid UTF-8 in a legacy OP_QUERY",
            op_query(&raw_doc(
                &[int32("isMaster", 1), string(b"x", b"\xFF")].concat(),
            )),
            false,
            Refused(22),
        ),
        // Nesting: refused before any recursive decoder sees it, so the stack cannot overflow.
        (
            "nested 200 levels",
            op_msg(&ping_with(&element(0x03, b"x", &nested(200)))),
            false,
            Refused(22),
        ),
        (
            "nested 100,000 levels",
            op_msg(&ping_with(&element(0x03, b"x", &nested(100_000)))),
            false,
            Refused(22),
        ),
        (
            "nested 200 levels in an insert's document sequence",
            insert_sequence(&db, &[nested(200)]),
            false,
            Refused(22),
        ),
        // Duplicate fields: the `bson` crate would silently keep one; they are refused instead.
        (
            "duplicate command field",
            op_msg(&raw_doc(
                &[int32("ping", 1), int32("ping", 2), string(b"$db", b"admin")].concat(),
            )),
            false,
            Refused(40413),
        ),
        (
            "duplicate field in a document to insert",
            insert_sequence(
                &db,
                &[raw_doc(
                    &[string(b"title", b"a"), string(b"title", b"b")].concat(),
                )],
            ),
            false,
            Refused(40413),
        ),
        // Size: a BSON document over 16 MiB + 16 KiB cannot even be read (mongod: 10334).
        (
            "document over 16 MiB + 16 KiB",
            insert_sequence(
                &db,
                &[raw_doc(&string(
                    b"big",
                    &vec![b'x'; 16 * 1024 * 1024 + 16 * 1024],
                ))],
            ),
            false,
            Refused(10334),
        ),
    ];
    let baseline = server.open_connections();
    for (name, bytes, hang_up, expect) in &cases {
        check_case(addr, name, bytes, *hang_up, *expect).await?;
    }

    // Nothing was inserted by any of them, the server still serves, and every bad connection
    // is gone.
    assert_eq!(posts.count_documents(doc! {}).await?, 0);
    posts.insert_one(doc! { "title": "still here" }).await?;
    assert_eq!(posts.count_documents(doc! {}).await?, 1);
    common::wait_until("every bad connection is closed", || {
        server.open_connections() <= baseline
    })
    .await;
    Ok(())
}

/// An int32 element whose key is given as raw bytes (possibly not UTF-8).
fn int32_raw_key(key: &[u8]) -> Vec<u8> {
    element(0x10, key, &1i32.to_le_bytes())
}

/// What a client can make the server build: an update path with one level per dot, or a
/// document nested past 100 levels. Nothing reaches a recursive walk unbounded.
#[tokio::test]
async fn practice_only_updates_and_inserts_cannot_nest_documents_without_bound() -> TestResult {
    let (_mongo, db) = start_practice(
        "practice_only_updates_and_inserts_cannot_nest_documents_without_bound",
        Config::default(),
    )
    .await?;
    let posts = db.collection::<Document>("post");
    posts.insert_one(doc! { "_id": 1, "title": "t" }).await?;

    // $set with a path of 1,000,000 parts (2 MB): without a bound, set_path would recurse a
    // million times and the document would be a million levels deep.
    let long_path = vec!["a"; 1_000_000].join(".");
    for path in [long_path.as_str(), &vec!["a"; 101].join(".")] {
        let e = posts
            .update_one(doc! { "_id": 1 }, doc! { "$set": { path: 1 } })
            .await
            .expect_err("a path deeper than 100 levels");
        assert_eq!(server_code(&e), Some(15), "{e}");
        let e = posts
            .update_one(doc! { "_id": 1 }, doc! { "$unset": { path: "" } })
            .await
            .expect_err("an $unset path deeper than 100 levels");
        assert_eq!(server_code(&e), Some(15), "{e}");
    }
    // 100 parts are fine.
    posts
        .update_one(
            doc! { "_id": 1 },
            doc! { "$set": { vec!["a"; 100].join("."): 1 } },
        )
        .await?;

    // A value nested 110 levels passes the wire's bound (120) but not the stored one (100).
    let mut deep = doc! { "x": 1 };
    for _ in 0..110 {
        deep = doc! { "a": deep };
    }
    let e = posts
        .update_one(doc! { "_id": 1 }, doc! { "$set": { "deep": deep.clone() } })
        .await
        .expect_err("a document 111 levels deep");
    assert_eq!(server_code(&e), Some(15), "{e}");
    let e = posts
        .insert_one(doc! { "_id": 2, "deep": deep })
        .await
        .expect_err("a document 111 levels deep");
    assert_eq!(server_code(&e), Some(15), "{e}");

    // A filter nested as deep as the wire allows is matched, not a stack overflow.
    let mut filter = doc! { "_id": 1 };
    for _ in 0..55 {
        filter = doc! { "$and": [filter] };
    }
    assert_eq!(posts.count_documents(filter).await?, 1);
    Ok(())
}

/// An insert over 16 MiB (and under the 16 MiB + 16 KiB a command may carry) is refused as
/// mongod refuses it. The driver checks this itself before sending, so raw bytes it is.
#[tokio::test]
async fn practice_only_insert_over_16_mib_is_refused_like_mongod() -> TestResult {
    let mongo =
        start_practice_without_client("practice_only_insert_over_16_mib_is_refused_like_mongod")
            .await?;
    let addr = mongo.practice_server().expect("practice server").address();
    let mut raw = RawConn::connect(addr).await?;
    // One byte over: { _id: 1, title: "xx...x" } is 26 bytes plus the title's length. (With
    // its own `_id` the server adds nothing, so this is the size it checks.)
    let size = 16 * 1024 * 1024 + 1;
    let id = element(0x10, b"_id", &1i32.to_le_bytes());
    let big = raw_doc(&[id, string(b"title", &b"x".repeat(size - 26))].concat());
    assert_eq!(big.len(), size, "test setup: the size");
    raw.stream
        .write_all(&insert_sequence(mongo.db_name(), &[big]))
        .await?;
    let reply = reply_document(&tokio::time::timeout(DEADLINE, raw.read_message()).await??);
    assert_eq!(reply.get_i32("n"), Ok(0), "{reply}");
    let error = reply.get_array("writeErrors")?[0]
        .as_document()
        .expect("a write error")
        .clone();
    assert_eq!(error.get_i32("code"), Ok(2), "{error}");
    assert_eq!(
        error.get_str("errmsg")?,
        format!("object to insert too large. size in bytes: {size}, max size: 16777216")
    );
    Ok(())
}

/// An update whose result would pass 16 MiB: BSONObjectTooLarge (10334), as mongod 7 says it.
/// (This one runs against MONGODB_URI too.)
#[tokio::test]
async fn an_update_past_16_mib_is_refused_with_10334() -> TestResult {
    let (_mongo, db) = start("an_update_past_16_mib_is_refused_with_10334").await?;
    let posts = db.collection::<Document>("post");
    let nine_mib = "x".repeat(9 * 1024 * 1024);
    posts
        .insert_one(doc! { "_id": 1, "a": nine_mib.clone() })
        .await?;
    let e = posts
        .update_one(doc! { "_id": 1 }, doc! { "$set": { "b": nine_mib } })
        .await
        .expect_err("an 18 MiB document");
    assert_eq!(server_code(&e), Some(10334), "{e}");
    assert!(
        e.to_string()
            .contains("Resulting document after update is larger than 16777216"),
        "{e}"
    );
    // The document is unchanged.
    let stored = posts
        .find_one(doc! { "_id": 1 })
        .await?
        .expect("still there");
    assert!(!stored.contains_key("b"));
    Ok(())
}
