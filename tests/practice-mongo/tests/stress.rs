//! Load and abuse, bounded so the suite stays fast on two cores.

mod common;

use std::time::{Duration, Instant};

use bson::{doc, Document};
use common::{
    client, ping, start_practice_without_client, start_without_client, wait_until, RawConn,
    TestResult, DEADLINE,
};
use futures::StreamExt;
use mongodb::options::ClientOptions;
use mongodb::Client;
use practice_mongo::wire;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const STREAMS: usize = 100;
const INSERTS: i32 = 1_000;

/// 100 change streams open at once each see all 1,000 inserts, in insertion order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_streams_each_see_every_one_of_1000_inserts_in_order() -> TestResult {
    let mongo =
        start_without_client("hundred_streams_each_see_every_one_of_1000_inserts_in_order").await?;
    let started = Instant::now();
    let mut options = ClientOptions::parse(mongo.uri_for_db()).await?;
    // One connection per waiting stream, so streams do not queue behind each other.
    options.max_pool_size = Some(STREAMS as u32 + 10);
    let client = Client::with_options(options)?;
    let coll = client
        .database(mongo.db_name())
        .collection::<Document>("post");

    let mut readers = Vec::new();
    for _ in 0..STREAMS {
        // Opened here, before any insert, so each stream must see all of them.
        let mut stream = coll.watch().await?;
        readers.push(tokio::spawn(async move {
            let mut next_expected = 0;
            while next_expected < INSERTS {
                let event = stream.next().await.ok_or("stream ended")??;
                let i = event.full_document.ok_or("no fullDocument")?.get_i32("i")?;
                if i != next_expected {
                    return Err(format!("expected {next_expected}, got {i}").into());
                }
                next_expected += 1;
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        }));
    }
    // 1,000 inserts, as 20 insert_many calls of 50: each document is its own insert event.
    for chunk in 0..(INSERTS / 50) {
        coll.insert_many((0..50).map(|k| doc! { "i": chunk * 50 + k }))
            .await?;
    }
    for reader in readers {
        tokio::time::timeout(Duration::from_secs(30), reader).await???;
    }
    println!(
        "{STREAMS} streams x {INSERTS} inserts took {:?}",
        started.elapsed()
    );
    // Let the driver finish killing the dropped streams' cursors before the runtime ends.
    client.shutdown().await;
    Ok(())
}

/// A small deterministic PRNG (xorshift), so failures are reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn header(len: i32, op: i32) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend(len.to_le_bytes());
    h.extend(1i32.to_le_bytes());
    h.extend(0i32.to_le_bytes());
    h.extend(op.to_le_bytes());
    h
}

/// A whole, correctly framed message whose body is garbage: the server must close on it, or
/// (for BSON it refuses inside a well-framed message) answer with an error.
fn framed_garbage(rng: &mut Rng) -> Vec<u8> {
    let valid = wire::encode_op_msg(0, 1, &doc! { "ping": 1, "$db": "admin" });
    match rng.below(6) {
        0 => {
            // OP_MSG with random section bytes.
            let n = 1 + rng.below(64) as usize;
            let body = rng.bytes(n);
            let mut m = header((16 + 4 + body.len()) as i32, wire::OP_MSG);
            m.extend(0u32.to_le_bytes());
            m.extend(body);
            m
        }
        1 => {
            // A valid ping with one byte of its document flipped to something impossible.
            let mut m = valid;
            let at = 21 + rng.below(4) as usize; // inside the document length prefix
            m[at] = 0xFF;
            m
        }
        2 => header(16, 2010),                 // an op code nobody speaks
        3 => header(48_000_001, wire::OP_MSG), // over maxMessageSizeBytes: refused from the header
        4 => header(-5, wire::OP_MSG),
        _ => {
            // Checksum flag with a wrong checksum.
            let mut m = valid;
            m[16] = 1;
            m.extend(0xDEAD_BEEFu32.to_le_bytes());
            let len = m.len() as i32;
            m[..4].copy_from_slice(&len.to_le_bytes());
            m
        }
    }
}

/// Practice-server only (loopback garbage is aimed at our own server, never at MONGODB_URI):
/// 1,000 connections send random bytes, truncated messages or malformed frames; every one is
/// dropped without harming the server, which keeps answering ping, and a well-behaved client's
/// change stream keeps receiving every event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn practice_only_thousand_bad_connections_leave_the_server_healthy() -> TestResult {
    let mongo = start_practice_without_client(
        "practice_only_thousand_bad_connections_leave_the_server_healthy",
    )
    .await?;
    let server = mongo.practice_server().expect("practice server");
    let addr = server.address();
    let started = Instant::now();

    // A good client, busy the whole time.
    let good = client(&mongo).await?;
    let coll = good
        .database(mongo.db_name())
        .collection::<Document>("post");
    let mut stream = coll.watch().await?;
    let baseline = server.open_connections();

    let valid = wire::encode_op_msg(0, 1, &doc! { "ping": 1, "$db": "admin" });
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let mut inserted = 0;
    for wave in 0..10 {
        let mut tasks = Vec::new();
        for k in 0..100 {
            let kind = (wave * 100 + k) % 3;
            let payload = match kind {
                0 => {
                    let n = 1 + rng.below(200) as usize;
                    rng.bytes(n) // random bytes
                }
                1 => valid[..rng.below(valid.len() as u64) as usize].to_vec(), // truncated
                _ => framed_garbage(&mut rng),
            };
            tasks.push(tokio::spawn(async move {
                let mut socket = TcpStream::connect(addr).await?;
                socket.write_all(&payload).await?;
                if kind == 2 {
                    // A complete but malformed frame: the server must close on its own, or
                    // answer `ok: 0` (then we hang up).
                    let mut raw = RawConn::from_stream(socket);
                    if let Some(reply) = raw.closed_or_reply().await? {
                        if reply.get_f64("ok") != Ok(0.0) {
                            return Err(std::io::Error::other(format!(
                                "server accepted a malformed message: {reply}"
                            )));
                        }
                    }
                }
                Ok::<_, std::io::Error>(()) // random/truncated: we hang up ourselves
            }));
        }
        for task in tasks {
            task.await??;
        }
        coll.insert_one(doc! { "_id": wave }).await?;
        inserted += 1;
    }
    // The good client's stream saw every insert, in order.
    for expected in 0..inserted {
        let event = tokio::time::timeout(DEADLINE, stream.next())
            .await?
            .expect("open")?;
        assert_eq!(event.document_key.expect("key").get_i32("_id")?, expected);
    }
    // The server still answers, on a new raw connection and through the driver.
    let mut raw = RawConn::connect(addr).await?;
    assert_eq!(raw.command(ping()).await?.get_f64("ok")?, 1.0);
    drop(raw);
    good.database("admin")
        .run_command(doc! { "ping": 1 })
        .await?;
    // And every bad connection is gone.
    wait_until("bad connections are closed", || {
        server.open_connections() <= baseline
    })
    .await;
    println!("1,000 bad connections handled in {:?}", started.elapsed());
    Ok(())
}
