//! The `MONGODB_URI` path of `TestMongo`, tried on a practice server standing in for the real
//! one (no real MongoDB can run here): the test's database is dropped when the test ends, and
//! fail points are skipped, saying why, when the server has no test commands.
//!
//! Multi-threaded runtimes: the server under test runs in this process, and dropping a
//! `TestMongo` waits for the database to be dropped, so the server needs a thread of its own.

mod common;

use bson::{doc, Document};
use common::{announce, client, TestResult};
use practice_mongo::test_support::TestMongo;
use practice_mongo::Config;

/// The names of the collections in `db`.
async fn collections(client: &mongodb::Client, db: &str) -> mongodb::error::Result<Vec<String>> {
    client.database(db).list_collection_names().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn practice_only_an_external_servers_test_database_is_dropped_when_the_test_ends(
) -> TestResult {
    let server = TestMongo::start_practice(Config::default()).await?;
    announce(
        "practice_only_an_external_servers_test_database_is_dropped_when_the_test_ends",
        &server,
    );
    let observer = client(&server).await?;

    // A test against "MONGODB_URI" writes to its own database ...
    let test = TestMongo::external(server.base_uri());
    let db = test.db_name().to_owned();
    observer
        .database(&db)
        .collection::<Document>("post")
        .insert_one(doc! { "title": "left behind?" })
        .await?;
    assert_eq!(collections(&observer, &db).await?, vec!["post".to_owned()]);

    // ... and when it ends, the database is gone.
    drop(test);
    assert_eq!(collections(&observer, &db).await?, Vec::<String>::new());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn practice_only_fail_points_are_skipped_with_a_reason_without_test_commands() -> TestResult {
    let server = TestMongo::start_practice(Config::default().with_test_commands(false)).await?;
    announce(
        "practice_only_fail_points_are_skipped_with_a_reason_without_test_commands",
        &server,
    );
    let test = TestMongo::external(server.base_uri());
    let test_client = client(&test).await?;

    // Under CI=true nothing may be skipped: the same call fails the test instead.
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let asked = tokio::spawn(async move {
        test.fail_points(&test_client, "a_test_with_fail_points")
            .await
            .map(|handle| handle.is_some())
    })
    .await;
    match asked {
        Ok(Ok(set)) => {
            assert!(!ci, "under CI=true a refused fail point must fail the test");
            assert!(!set, "no test commands: no fail points");
        }
        Ok(Err(e)) => panic!("refused fail points are a skip, not an error: {e}"),
        Err(join) => assert!(ci && join.is_panic(), "{join}"),
    }

    // With test commands (the default), the same call gets the handle.
    let with = TestMongo::start_practice(Config::default()).await?;
    let handle = with.fail_points(&client(&with).await?, "t").await?;
    assert!(handle.is_some());
    Ok(())
}
