//! Cursors are freed by killCursors and by the connection that used them going away, and
//! change stream batches always carry a postBatchResumeToken.

mod common;

use bson::{doc, Bson, Document};
use common::{
    client, server_code, start, start_practice_without_client, wait_until, RawConn, TestResult,
};
use futures::StreamExt;

/// Runs everywhere: the driver-visible part of killCursors ("killCursors" manual page).
#[tokio::test]
async fn kill_cursors_reports_the_cursor_killed_and_get_more_then_fails() -> TestResult {
    let (mongo, db) =
        start("kill_cursors_reports_the_cursor_killed_and_get_more_then_fails").await?;
    let coll = db.collection::<Document>("post");
    coll.insert_many((0..5).map(|i| doc! { "_id": i })).await?;
    let reply = db
        .run_command(doc! { "find": "post", "batchSize": 1 })
        .await?;
    let id = reply.get_document("cursor")?.get_i64("id")?;
    if let Some(server) = mongo.practice_server() {
        assert_eq!(server.open_cursors(), 1);
    }
    let killed = db
        .run_command(doc! { "killCursors": "post", "cursors": [id] })
        .await?;
    assert_eq!(killed.get_array("cursorsKilled")?, &vec![Bson::Int64(id)]);
    let err = db
        .run_command(doc! { "getMore": id, "collection": "post" })
        .await
        .expect_err("killed cursor");
    assert_eq!(server_code(&err), Some(43), "{err}");
    if let Some(server) = mongo.practice_server() {
        assert_eq!(server.open_cursors(), 0);
    }
    Ok(())
}

/// Practice-server only (reads its cursor counter): dropping the driver's cursor and change
/// stream makes the driver send killCursors, and the counter returns to zero.
#[tokio::test]
async fn practice_only_dropped_driver_cursors_are_killed() -> TestResult {
    let mongo =
        start_practice_without_client("practice_only_dropped_driver_cursors_are_killed").await?;
    let server = mongo.practice_server().expect("practice server");
    let coll = client(&mongo)
        .await?
        .database(mongo.db_name())
        .collection::<Document>("post");
    coll.insert_many((0..10).map(|i| doc! { "_id": i })).await?;

    let mut cursor = coll.find(doc! {}).batch_size(2).await?;
    assert!(cursor.next().await.is_some());
    let stream = coll.watch().await?;
    assert_eq!(server.open_cursors(), 2);
    drop(cursor);
    drop(stream);
    wait_until("both cursors are killed", || server.open_cursors() == 0).await;
    Ok(())
}

/// Practice-server only: a connection that goes away takes its cursors with it, including a
/// change stream whose getMore is waiting at that moment.
#[tokio::test]
async fn practice_only_dropped_connections_free_their_cursors() -> TestResult {
    let mongo =
        start_practice_without_client("practice_only_dropped_connections_free_their_cursors")
            .await?;
    let server = mongo.practice_server().expect("practice server");
    let db = mongo.db_name().to_owned();

    let mut raw = RawConn::connect(server.address()).await?;
    let inserted = raw
        .command(doc! { "insert": "post", "documents": [{"_id": 1}, {"_id": 2}, {"_id": 3}], "$db": &db })
        .await?;
    assert_eq!(inserted.get_i32("n")?, 3);
    let found = raw
        .command(doc! { "find": "post", "batchSize": 1, "$db": &db })
        .await?;
    assert_ne!(found.get_document("cursor")?.get_i64("id")?, 0);
    let stream = raw
        .command(doc! { "aggregate": "post", "pipeline": [{"$changeStream": {}}], "cursor": {}, "$db": &db })
        .await?;
    let stream_id = stream.get_document("cursor")?.get_i64("id")?;
    assert_eq!(server.open_cursors(), 2);

    // Leave a getMore waiting (30 s) and hang up in the middle of it.
    raw.send(&doc! { "getMore": stream_id, "collection": "post", "maxTimeMS": 30_000, "$db": &db })
        .await?;
    wait_until("the getMore waits", || server.waiting_get_mores() == 1).await;
    drop(raw);
    wait_until("the connection's cursors are freed", || {
        server.open_cursors() == 0
    })
    .await;
    wait_until("the wait is abandoned", || server.waiting_get_mores() == 0).await;
    wait_until("the connection is gone", || server.open_connections() == 0).await;
    Ok(())
}

/// Practice-server only (raw socket): every change stream batch, empty or not, first or
/// getMore, carries postBatchResumeToken, as MongoDB 4.0.7+ does.
#[tokio::test]
async fn practice_only_every_change_stream_batch_has_a_post_batch_resume_token() -> TestResult {
    let mongo = start_practice_without_client(
        "practice_only_every_change_stream_batch_has_a_post_batch_resume_token",
    )
    .await?;
    let server = mongo.practice_server().expect("practice server");
    let db = mongo.db_name().to_owned();
    let mut raw = RawConn::connect(server.address()).await?;
    let opened = raw
        .command(doc! { "aggregate": "post", "pipeline": [{"$changeStream": {}}], "cursor": {}, "$db": &db })
        .await?;
    let cursor = opened.get_document("cursor")?;
    assert!(cursor.get_array("firstBatch")?.is_empty());
    let first_token = cursor.get_document("postBatchResumeToken")?.clone();
    let id = cursor.get_i64("id")?;

    // Empty getMore (short wait): still a token.
    let empty = raw
        .command(doc! { "getMore": id, "collection": "post", "maxTimeMS": 10, "$db": &db })
        .await?;
    let cursor = empty.get_document("cursor")?;
    assert!(cursor.get_array("nextBatch")?.is_empty());
    assert!(cursor.get_document("postBatchResumeToken").is_ok());

    raw.command(doc! { "insert": "post", "documents": [{"_id": 1}], "$db": &db })
        .await?;
    let full = raw
        .command(doc! { "getMore": id, "collection": "post", "$db": &db })
        .await?;
    let cursor = full.get_document("cursor")?;
    let batch = cursor.get_array("nextBatch")?;
    assert_eq!(batch.len(), 1);
    let token = cursor.get_document("postBatchResumeToken")?;
    assert_ne!(token, &first_token, "the token moves forward");
    Ok(())
}
