//! Documents through the real driver: insert, find (filter, sort, limit, batchSize, getMore),
//! update, delete, count, listCollections, drop. Shapes follow the command pages of the
//! MongoDB manual ("insert", "find", "update", "delete").

mod common;

use bson::{doc, Bson, Document};
use common::{server_code, start, start_practice, TestResult};
use futures::TryStreamExt;
use mongodb::error::{ErrorKind, WriteFailure};

#[tokio::test]
async fn insert_without_id_gets_an_object_id() -> TestResult {
    let (_mongo, db) = start("insert_without_id_gets_an_object_id").await?;
    let coll = db.collection::<Document>("post");
    let result = coll.insert_one(doc! { "title": "no id" }).await?;
    let Bson::ObjectId(id) = result.inserted_id else {
        panic!("expected an ObjectId, got {:?}", result.inserted_id)
    };
    let found = coll
        .find_one(doc! { "_id": id })
        .await?
        .expect("inserted document");
    assert_eq!(found, doc! { "_id": id, "title": "no id" });
    Ok(())
}

#[tokio::test]
async fn duplicate_id_is_e11000_with_code_11000() -> TestResult {
    // "Duplicate key" write errors: code 11000, errmsg starting with E11000.
    let (mongo, db) = start("duplicate_id_is_e11000_with_code_11000").await?;
    let coll = db.collection::<Document>("post");
    coll.insert_one(doc! { "_id": 1, "title": "a" }).await?;
    let err = coll
        .insert_one(doc! { "_id": 1, "title": "b" })
        .await
        .expect_err("duplicate _id");
    let ErrorKind::Write(WriteFailure::WriteError(w)) = &*err.kind else {
        panic!("expected a write error, got {err}")
    };
    assert_eq!(w.code, 11000);
    assert!(
        w.message.starts_with("E11000 duplicate key error"),
        "{}",
        w.message
    );
    assert!(
        w.message.contains(&format!("{}.post", mongo.db_name())),
        "{}",
        w.message
    );

    // insert_many, ordered: stops at the duplicate; what came before it is in.
    let err = coll
        .insert_many([doc! { "_id": 2 }, doc! { "_id": 1 }, doc! { "_id": 3 }])
        .await
        .expect_err("duplicate in batch");
    assert_eq!(server_code(&err), Some(11000));
    assert_eq!(coll.count_documents(doc! {}).await?, 2);
    Ok(())
}

#[tokio::test]
async fn find_filters_sorts_limits_and_pages_with_get_more() -> TestResult {
    let (mongo, db) = start("find_filters_sorts_limits_and_pages_with_get_more").await?;
    let coll = db.collection::<Document>("post");
    let docs: Vec<Document> = (0..10)
        .map(|i| doc! { "_id": i, "n": i, "even": i % 2 == 0 })
        .collect();
    coll.insert_many(docs).await?;

    // Equality filter, sort descending, limit, and a batch size that forces getMore.
    let found: Vec<Document> = coll
        .find(doc! { "even": true })
        .sort(doc! { "n": -1 })
        .limit(4)
        .batch_size(2)
        .await?
        .try_collect()
        .await?;
    let ns: Vec<i32> = found
        .iter()
        .map(|d| d.get_i32("n"))
        .collect::<Result<_, _>>()?;
    assert_eq!(ns, vec![8, 6, 4, 2]);

    // Ascending, all documents, small batches: every document once, in order.
    let all: Vec<Document> = coll
        .find(doc! {})
        .sort(doc! { "n": 1 })
        .batch_size(3)
        .await?
        .try_collect()
        .await?;
    let ns: Vec<i32> = all
        .iter()
        .map(|d| d.get_i32("n"))
        .collect::<Result<_, _>>()?;
    assert_eq!(ns, (0..10).collect::<Vec<_>>());

    // The raw command shape: firstBatch, a cursor id, then getMore's nextBatch.
    let db = coll.client().database(mongo.db_name());
    let first = db
        .run_command(doc! { "find": "post", "filter": {}, "sort": { "n": 1 }, "batchSize": 4 })
        .await?;
    let cursor = first.get_document("cursor")?;
    assert_eq!(cursor.get_array("firstBatch")?.len(), 4);
    assert_eq!(cursor.get_str("ns")?, format!("{}.post", mongo.db_name()));
    let id = cursor.get_i64("id")?;
    assert_ne!(id, 0);
    let more = db
        .run_command(doc! { "getMore": id, "collection": "post", "batchSize": 100 })
        .await?;
    let cursor = more.get_document("cursor")?;
    assert_eq!(cursor.get_array("nextBatch")?.len(), 6);
    assert_eq!(cursor.get_i64("id")?, 0, "exhausted cursors report id 0");
    Ok(())
}

#[tokio::test]
async fn update_with_set_and_delete_change_what_find_sees() -> TestResult {
    let (_mongo, db) = start("update_with_set_and_delete_change_what_find_sees").await?;
    let coll = db.collection::<Document>("post");
    coll.insert_many([
        doc! { "_id": 1, "author": "kim", "title": "a" },
        doc! { "_id": 2, "author": "kim", "title": "b" },
        doc! { "_id": 3, "author": "lee", "title": "c" },
    ])
    .await?;

    let one = coll
        .update_one(doc! { "author": "kim" }, doc! { "$set": { "title": "A" } })
        .await?;
    assert_eq!((one.matched_count, one.modified_count), (1, 1));
    let many = coll
        .update_many(
            doc! { "author": "kim" },
            doc! { "$set": { "meta.views": 1 } },
        )
        .await?;
    assert_eq!((many.matched_count, many.modified_count), (2, 2));
    let same = coll
        .update_one(doc! { "_id": 3 }, doc! { "$set": { "title": "c" } })
        .await?;
    assert_eq!(
        (same.matched_count, same.modified_count),
        (1, 0),
        "a no-op $set modifies nothing"
    );
    let upsert = coll
        .update_one(doc! { "_id": 4 }, doc! { "$set": { "title": "d" } })
        .upsert(true)
        .await?;
    assert_eq!(upsert.upserted_id, Some(Bson::Int32(4)));

    assert_eq!(
        coll.find_one(doc! { "_id": 1 }).await?,
        Some(doc! { "_id": 1, "author": "kim", "title": "A", "meta": { "views": 1 } })
    );
    let deleted = coll.delete_many(doc! { "author": "kim" }).await?;
    assert_eq!(deleted.deleted_count, 2);
    assert_eq!(coll.count_documents(doc! {}).await?, 2);
    assert_eq!(coll.estimated_document_count().await?, 2);
    assert_eq!(coll.count_documents(doc! { "author": "lee" }).await?, 1);
    Ok(())
}

#[tokio::test]
async fn list_collections_and_drop() -> TestResult {
    let (_mongo, db) = start("list_collections_and_drop").await?;
    db.collection::<Document>("post")
        .insert_one(doc! { "x": 1 })
        .await?;
    db.collection::<Document>("comment")
        .insert_one(doc! { "x": 1 })
        .await?;
    let mut names = db.list_collection_names().await?;
    names.sort();
    assert_eq!(names, vec!["comment", "post"]);
    db.collection::<Document>("comment").drop().await?;
    assert_eq!(db.list_collection_names().await?, vec!["post"]);
    Ok(())
}

/// Practice-server only: its query language is small, and it says so instead of guessing.
#[tokio::test]
async fn practice_only_unsupported_query_operator_is_a_clear_error() -> TestResult {
    let (_mongo, db) = start_practice(
        "practice_only_unsupported_query_operator_is_a_clear_error",
        Default::default(),
    )
    .await?;
    let coll = db.collection::<Document>("post");
    let err = coll
        .find(doc! { "n": { "$gt": 1 } })
        .await
        .expect_err("$gt is not supported");
    assert_eq!(server_code(&err), Some(2));
    assert!(err.to_string().contains("$gt"), "{err}");
    Ok(())
}
