//! Fault injection with `configureFailPoint` / `failCommand`, as mongod's test mode has it.
//! Against a real MongoDB these need `--setParameter enableTestCommands=1` (see README); without
//! it they print SKIPPED and why. Each test's fail point names its own client's `appName`, and
//! on a real server the tests take turns (`TestMongo::fail_points`), so they cannot disturb
//! each other.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bson::{doc, Document};
use common::{
    client, client_with_app, server_code, start_without_client, BoxError, TestResult, DEADLINE,
};
use futures::StreamExt;
use mongodb::event::command::CommandEvent;
use mongodb::event::EventHandler;
use mongodb::options::ClientOptions;
use mongodb::Client;
use practice_mongo::test_support::{FailPoints, TestMongo};

fn fail_point(app: &str, mode: bson::Bson, data: Document) -> Document {
    let mut data = data;
    data.insert("appName", app);
    doc! { "configureFailPoint": "failCommand", "mode": mode, "data": data }
}

/// A fail-point test's start: its server, the `appName` its fail points target (tag only the
/// clients that should fail with it), and its turn at fail points; `None` when the server has
/// no test commands (the test is skipped, and says so).
async fn start_with_fail_points(
    test: &str,
) -> Result<Option<(TestMongo, String, FailPoints)>, BoxError> {
    let mongo = start_without_client(test).await?;
    let app = format!("failpoint-{}", mongo.db_name());
    let Some(fail_points) = mongo.fail_points(&client(&mongo).await?, test).await? else {
        return Ok(None);
    };
    Ok(Some((mongo, app, fail_points)))
}

/// The driver resumes a change stream after its getMore's connection is closed, and no event
/// is lost or repeated ("Resume a Change Stream" in the MongoDB manual; the drivers' change
/// stream spec treats a network error as resumable).
#[tokio::test]
async fn close_connection_on_get_more_is_resumed_without_losing_events() -> TestResult {
    let Some((mongo, app, fail_points)) =
        start_with_fail_points("close_connection_on_get_more_is_resumed_without_losing_events")
            .await?
    else {
        return Ok(());
    };

    // Count `aggregate` commands: a resume is a second one.
    let aggregates = Arc::new(AtomicUsize::new(0));
    let mut options = ClientOptions::parse(mongo.uri_for_db()).await?;
    options.app_name = Some(app.clone());
    options.server_selection_timeout = Some(std::time::Duration::from_secs(5));
    let counter = aggregates.clone();
    options.command_event_handler = Some(EventHandler::callback(move |event| {
        if let CommandEvent::Started(started) = event {
            if started.command_name == "aggregate" {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        }
    }));
    let watcher = Client::with_options(options)?;
    let coll = watcher
        .database(mongo.db_name())
        .collection::<Document>("post");
    let writer = client(&mongo)
        .await?
        .database(mongo.db_name())
        .collection::<Document>("post");

    let mut stream = coll.watch().await?;
    writer
        .insert_many((0..3).map(|i| doc! { "_id": i }))
        .await?;
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let event = tokio::time::timeout(DEADLINE, stream.next())
            .await?
            .expect("open")?;
        seen.push(event.document_key.expect("key").get_i32("_id")?);
    }

    fail_points
        .set(fail_point(
            &app,
            bson::Bson::Document(doc! { "times": 1 }),
            doc! { "failCommands": ["getMore"], "closeConnection": true },
        ))
        .await?;
    writer
        .insert_many((3..6).map(|i| doc! { "_id": i }))
        .await?;
    while seen.len() < 6 {
        let event = tokio::time::timeout(DEADLINE, stream.next())
            .await?
            .expect("open")?;
        seen.push(event.document_key.expect("key").get_i32("_id")?);
    }
    assert_eq!(seen, vec![0, 1, 2, 3, 4, 5]);
    assert_eq!(
        aggregates.load(Ordering::SeqCst),
        2,
        "one resume: a second aggregate"
    );

    let off = fail_points.off().await?;
    if mongo.practice_server().is_some() {
        assert_eq!(off.get_i64("count")?, 1, "the fail point fired once");
    }
    Ok(())
}

/// errorCode + errorLabels: the command fails with exactly that error, `times` times.
#[tokio::test]
async fn error_code_fails_the_command_the_given_number_of_times() -> TestResult {
    let Some((mongo, app, fail_points)) =
        start_with_fail_points("error_code_fails_the_command_the_given_number_of_times").await?
    else {
        return Ok(());
    };
    let coll = client_with_app(&mongo, Some(&app))
        .await?
        .database(mongo.db_name())
        .collection::<Document>("post");
    fail_points
        .set(fail_point(
            &app,
            bson::Bson::Document(doc! { "times": 2 }),
            doc! { "failCommands": ["find"], "errorCode": 2, "errorLabels": ["PracticeLabel"] },
        ))
        .await?;
    for _ in 0..2 {
        let err = coll.find_one(doc! {}).await.expect_err("fail point active");
        assert_eq!(server_code(&err), Some(2), "{err}");
        assert!(err.contains_label("PracticeLabel"), "{err}");
    }
    assert_eq!(
        coll.find_one(doc! {}).await?,
        None,
        "the third find runs normally"
    );
    Ok(())
}

/// alwaysOn until turned off; other clients (other appName) are not affected.
#[tokio::test]
async fn always_on_until_off_and_only_for_the_named_app() -> TestResult {
    let Some((mongo, app, fail_points)) =
        start_with_fail_points("always_on_until_off_and_only_for_the_named_app").await?
    else {
        return Ok(());
    };
    let target = client_with_app(&mongo, Some(&app))
        .await?
        .database(mongo.db_name());
    let bystander = client(&mongo).await?.database(mongo.db_name());
    fail_points
        .set(fail_point(
            &app,
            bson::Bson::String("alwaysOn".into()),
            doc! { "failCommands": ["insert"], "errorCode": 8 },
        ))
        .await?;
    for i in 0..3 {
        let err = target
            .collection::<Document>("post")
            .insert_one(doc! { "_id": i })
            .await
            .expect_err("alwaysOn");
        assert_eq!(server_code(&err), Some(8), "{err}");
    }
    bystander
        .collection::<Document>("post")
        .insert_one(doc! { "_id": "ok" })
        .await?;
    fail_points.off().await?;
    target
        .collection::<Document>("post")
        .insert_one(doc! { "_id": 1 })
        .await?;
    assert_eq!(
        target
            .collection::<Document>("post")
            .count_documents(doc! {})
            .await?,
        2
    );
    Ok(())
}
