//! Change streams through the real driver: event shapes, resuming, waiting, filtering.
//!
//! Event shapes follow the "Change Events" page of the MongoDB manual
//! (https://www.mongodb.com/docs/manual/reference/change-events/); resuming follows "Resume a
//! Change Stream" (https://www.mongodb.com/docs/manual/changeStreams/#resume-a-change-stream).

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use bson::{doc, Bson, Document};
use common::{server_code, start, start_practice, TestResult, DEADLINE};
use futures::StreamExt;
use mongodb::change_stream::event::ResumeToken;
use mongodb::change_stream::ChangeStream;
use mongodb::options::FullDocumentType;
use mongodb::Collection;
use practice_mongo::Config;

/// The next event as a plain document, failing the test after DEADLINE.
async fn next_event(stream: &mut ChangeStream<Document>) -> Document {
    match tokio::time::timeout(DEADLINE, stream.next()).await {
        Ok(Some(Ok(event))) => event,
        Ok(Some(Err(e))) => panic!("change stream error: {e}"),
        Ok(None) => panic!("change stream ended"),
        Err(_) => panic!("no change event within {DEADLINE:?}"),
    }
}

async fn watch_raw(coll: &Collection<Document>) -> mongodb::error::Result<ChangeStream<Document>> {
    Ok(coll.watch().await?.with_type::<Document>())
}

fn keys(d: &Document) -> BTreeSet<&str> {
    d.keys().map(String::as_str).collect()
}

/// The fields every insert, update and delete event has ("Change Events" manual page).
const EVENT_FIELDS: [&str; 6] = [
    "_id",
    "operationType",
    "clusterTime",
    "wallTime",
    "ns",
    "documentKey",
];

/// Asserts that `event` has exactly [`EVENT_FIELDS`] and the `extra` ones of its kind.
fn assert_fields(event: &Document, extra: &[&str]) {
    let expected: BTreeSet<&str> = EVENT_FIELDS.iter().chain(extra).copied().collect();
    assert_eq!(keys(event), expected, "{event}");
}

fn token_of(event: &Document) -> ResumeToken {
    let id = event.get("_id").cloned().expect("event _id");
    bson::from_bson(id).expect("resume token")
}

#[tokio::test]
async fn insert_event_has_the_documented_fields() -> TestResult {
    let (mongo, db) = start("insert_event_has_the_documented_fields").await?;
    let coll = db.collection::<Document>("post");
    let mut stream = watch_raw(&coll).await?;

    let post = doc! { "_id": 7, "title": "첫 글", "body": "hello" };
    coll.insert_one(post.clone()).await?;
    let event = next_event(&mut stream).await;

    assert_fields(&event, &["fullDocument"]);
    let token = event.get_document("_id")?;
    let data = token.get_str("_data")?;
    assert!(
        !data.is_empty() && data.chars().all(|c| c.is_ascii_hexdigit()),
        "{data}"
    );
    assert_eq!(event.get_str("operationType")?, "insert");
    assert!(matches!(event.get("clusterTime"), Some(Bson::Timestamp(_))));
    assert!(matches!(event.get("wallTime"), Some(Bson::DateTime(_))));
    assert_eq!(event.get_document("fullDocument")?, &post);
    assert_eq!(
        event.get_document("ns")?,
        &doc! { "db": mongo.db_name(), "coll": "post" }
    );
    assert_eq!(event.get_document("documentKey")?, &doc! { "_id": 7 });
    Ok(())
}

#[tokio::test]
async fn update_and_delete_events_have_the_documented_fields() -> TestResult {
    let (_mongo, db) = start("update_and_delete_events_have_the_documented_fields").await?;
    let coll = db.collection::<Document>("post");
    coll.insert_one(doc! { "_id": 1, "title": "a", "n": 1 })
        .await?;
    let mut stream = coll
        .watch()
        .full_document(FullDocumentType::UpdateLookup)
        .await?
        .with_type::<Document>();

    coll.update_one(
        doc! { "_id": 1 },
        doc! { "$set": { "title": "b" }, "$unset": { "n": "" } },
    )
    .await?;
    let update = next_event(&mut stream).await;
    assert_fields(&update, &["updateDescription", "fullDocument"]);
    assert_eq!(update.get_str("operationType")?, "update");
    assert_eq!(update.get_document("documentKey")?, &doc! { "_id": 1 });
    assert_eq!(
        update.get_document("updateDescription")?,
        &doc! { "updatedFields": { "title": "b" }, "removedFields": ["n"], "truncatedArrays": [] }
    );
    // updateLookup: the document as it is now.
    assert_eq!(
        update.get_document("fullDocument")?,
        &doc! { "_id": 1, "title": "b" }
    );

    coll.delete_one(doc! { "_id": 1 }).await?;
    let delete = next_event(&mut stream).await;
    assert_fields(&delete, &[]);
    assert_eq!(delete.get_str("operationType")?, "delete");
    assert_eq!(delete.get_document("documentKey")?, &doc! { "_id": 1 });
    Ok(())
}

#[tokio::test]
async fn resuming_after_each_token_replays_exactly_what_followed() -> TestResult {
    let (_mongo, db) = start("resuming_after_each_token_replays_exactly_what_followed").await?;
    let coll = db.collection::<Document>("post");
    let mut stream = watch_raw(&coll).await?;
    for i in 0..5 {
        coll.insert_one(doc! { "_id": i }).await?;
    }
    let mut tokens = Vec::new();
    for i in 0..5 {
        let event = next_event(&mut stream).await;
        assert_eq!(event.get_document("documentKey")?, &doc! { "_id": i });
        tokens.push(token_of(&event));
    }
    // The driver's own token after the last batch (a postBatchResumeToken) resumes too.
    let post_batch = stream.resume_token().expect("a resume token");
    coll.insert_one(doc! { "_id": 5 }).await?;

    for (i, token) in tokens.into_iter().enumerate() {
        let mut resumed = coll
            .watch()
            .resume_after(token)
            .await?
            .with_type::<Document>();
        for expected in (i as i32 + 1)..=5 {
            let event = next_event(&mut resumed).await;
            assert_eq!(
                event.get_document("documentKey")?,
                &doc! { "_id": expected }
            );
        }
    }
    let mut resumed = coll
        .watch()
        .resume_after(post_batch)
        .await?
        .with_type::<Document>();
    assert_eq!(
        next_event(&mut resumed).await.get_document("documentKey")?,
        &doc! { "_id": 5 }
    );
    Ok(())
}

/// "Start a Change Stream after an Event" (startAfter) — the one way past an invalidate.
#[tokio::test]
async fn start_after_an_invalidate_token_sees_the_recreated_collection() -> TestResult {
    let (_mongo, db) =
        start("start_after_an_invalidate_token_sees_the_recreated_collection").await?;
    let coll = db.collection::<Document>("post");
    coll.insert_one(doc! { "_id": "before" }).await?;
    let mut stream = watch_raw(&coll).await?;
    coll.drop().await?;
    assert_eq!(
        next_event(&mut stream).await.get_str("operationType")?,
        "drop"
    );
    let invalidate = next_event(&mut stream).await;
    assert_eq!(invalidate.get_str("operationType")?, "invalidate");
    let token = token_of(&invalidate);

    coll.insert_one(doc! { "_id": "after" }).await?;
    let mut started = coll
        .watch()
        .start_after(token.clone())
        .await?
        .with_type::<Document>();
    let event = next_event(&mut started).await;
    assert_eq!(event.get_str("operationType")?, "insert");
    assert_eq!(event.get_document("documentKey")?, &doc! { "_id": "after" });
    // And startAfter the insert's token continues from there, like resumeAfter.
    coll.insert_one(doc! { "_id": "later" }).await?;
    let mut again = coll
        .watch()
        .start_after(token_of(&event))
        .await?
        .with_type::<Document>();
    assert_eq!(
        next_event(&mut again).await.get_document("documentKey")?,
        &doc! { "_id": "later" }
    );

    // resumeAfter cannot pass an invalidate: InvalidResumeToken (260).
    let err = coll
        .watch()
        .resume_after(token)
        .await
        .expect_err("resumeAfter an invalidate");
    assert_eq!(server_code(&err), Some(260), "{err}");
    Ok(())
}

/// Practice-server only (it needs a tiny history): a token older than the history gives
/// ChangeStreamHistoryLost (286), as when a real oplog has rolled over.
#[tokio::test]
async fn practice_only_resume_token_older_than_history_is_286() -> TestResult {
    let (_mongo, db) = start_practice(
        "practice_only_resume_token_older_than_history_is_286",
        Config::default().with_history_limit(5),
    )
    .await?;
    let coll = db.collection::<Document>("post");
    let mut stream = watch_raw(&coll).await?;
    coll.insert_one(doc! { "_id": 0 }).await?;
    let old = token_of(&next_event(&mut stream).await);
    for i in 1..=10 {
        coll.insert_one(doc! { "_id": i }).await?;
    }
    let err = coll
        .watch()
        .resume_after(old)
        .await
        .expect_err("history is gone");
    assert_eq!(server_code(&err), Some(286), "{err}");
    let mongodb::error::ErrorKind::Command(c) = &*err.kind else {
        panic!("{err}")
    };
    assert_eq!(c.code_name, "ChangeStreamHistoryLost");
    Ok(())
}

#[tokio::test]
async fn awaiting_get_more_returns_within_50ms_of_an_insert() -> TestResult {
    let (mongo, db) = start("awaiting_get_more_returns_within_50ms_of_an_insert").await?;
    let coll = db.collection::<Document>("post");
    // A long await time: a server that only answered at the timeout would take 10 s.
    let mut stream = coll
        .watch()
        .max_await_time(Duration::from_secs(10))
        .await?
        .with_type::<Document>();
    let (arrived_tx, mut arrived) = tokio::sync::mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        while let Some(Ok(event)) = stream.next().await {
            if arrived_tx.send((Instant::now(), event)).is_err() {
                break;
            }
        }
    });
    for round in 0..3 {
        if let Some(server) = mongo.practice_server() {
            // Make sure the getMore is really waiting before we write.
            common::wait_until("a getMore waits", || server.waiting_get_mores() == 1).await;
        }
        coll.insert_one(doc! { "_id": round }).await?;
        let written = Instant::now();
        let (at, event) = tokio::time::timeout(DEADLINE, arrived.recv())
            .await?
            .expect("reader alive");
        assert_eq!(event.get_document("documentKey")?, &doc! { "_id": round });
        let latency = at.saturating_duration_since(written);
        assert!(
            latency < Duration::from_millis(50),
            "round {round}: {latency:?}"
        );
    }
    reader.abort();
    Ok(())
}

#[tokio::test]
async fn match_stages_filter_with_equality_in_nin_and_dotted_paths() -> TestResult {
    let (_mongo, db) = start("match_stages_filter_with_equality_in_nin_and_dotted_paths").await?;
    let coll = db.collection::<Document>("post");
    let mut stream = coll
        .watch()
        .pipeline([
            doc! { "$match": { "operationType": { "$in": ["insert", "update"] } } },
            doc! { "$match": { "fullDocument.kind": { "$nin": ["spam"] } } },
        ])
        .await?
        .with_type::<Document>();
    coll.insert_one(doc! { "_id": 1, "kind": "post" }).await?;
    coll.insert_one(doc! { "_id": 2, "kind": "spam" }).await?;
    coll.update_one(doc! { "_id": 1 }, doc! { "$set": { "seen": true } })
        .await?;
    coll.delete_one(doc! { "_id": 2 }).await?;
    coll.insert_one(doc! { "_id": 3, "kind": "end" }).await?;

    let mut seen = Vec::new();
    for _ in 0..3 {
        let e = next_event(&mut stream).await;
        seen.push((
            e.get_str("operationType")?.to_owned(),
            e.get_document("documentKey")?.get_i32("_id")?,
        ));
    }
    assert_eq!(
        seen,
        vec![
            ("insert".into(), 1),
            ("update".into(), 1),
            ("insert".into(), 3)
        ]
    );

    // Plain equality on a dotted path.
    let mut only_post = coll
        .watch()
        .pipeline([doc! { "$match": { "fullDocument.kind": "post" } }])
        .await?
        .with_type::<Document>();
    coll.insert_one(doc! { "_id": 4, "kind": "spam" }).await?;
    coll.insert_one(doc! { "_id": 5, "kind": "post" }).await?;
    assert_eq!(
        next_event(&mut only_post)
            .await
            .get_document("documentKey")?,
        &doc! { "_id": 5 }
    );
    Ok(())
}

#[tokio::test]
async fn unknown_pipeline_stage_is_40324() -> TestResult {
    // The error real MongoDB gives for a misspelt stage name.
    let (_mongo, db) = start("unknown_pipeline_stage_is_40324").await?;
    let coll = db.collection::<Document>("post");
    let err = coll
        .watch()
        .pipeline([doc! { "$matchh": { "operationType": "insert" } }])
        .await
        .expect_err("misspelt stage");
    assert_eq!(server_code(&err), Some(40324), "{err}");
    let err = coll
        .aggregate([doc! { "$frobnicate": {} }])
        .await
        .expect_err("unknown stage");
    assert_eq!(server_code(&err), Some(40324), "{err}");
    Ok(())
}

#[tokio::test]
async fn database_level_stream_sees_every_collection() -> TestResult {
    let (_mongo, db) = start("database_level_stream_sees_every_collection").await?;
    let mut stream = db.watch().await?.with_type::<Document>();
    db.collection::<Document>("a")
        .insert_one(doc! { "_id": 1 })
        .await?;
    db.collection::<Document>("b")
        .insert_one(doc! { "_id": 2 })
        .await?;
    let first = next_event(&mut stream).await;
    let second = next_event(&mut stream).await;
    assert_eq!(first.get_document("ns")?.get_str("coll")?, "a");
    assert_eq!(second.get_document("ns")?.get_str("coll")?, "b");
    Ok(())
}

/// startAtOperationTime (the option drivers fall back to when they have no token) starts at
/// the write whose operationTime it is, inclusive ("Change Streams" manual page, watch options).
#[tokio::test]
async fn start_at_operation_time_includes_the_write_at_that_time() -> TestResult {
    let (_mongo, db) = start("start_at_operation_time_includes_the_write_at_that_time").await?;
    let coll = db.collection::<Document>("post");
    coll.insert_one(doc! { "_id": "earlier" }).await?;
    let reply = db
        .run_command(doc! { "insert": "post", "documents": [{ "_id": "at" }] })
        .await?;
    let Some(Bson::Timestamp(at)) = reply.get("operationTime").cloned() else {
        panic!("no operationTime in {reply}")
    };
    coll.insert_one(doc! { "_id": "later" }).await?;
    let mut stream = coll
        .watch()
        .start_at_operation_time(at)
        .await?
        .with_type::<Document>();
    assert_eq!(
        next_event(&mut stream).await.get_document("documentKey")?,
        &doc! { "_id": "at" }
    );
    assert_eq!(
        next_event(&mut stream).await.get_document("documentKey")?,
        &doc! { "_id": "later" }
    );
    Ok(())
}
