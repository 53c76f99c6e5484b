//! lesson06's page in a real headless Chromium: the server is stopped and started again on the
//! same port while posts are written, the browser reconnects by itself (after `retry`), sends its
//! `Last-Event-ID`, and the page ends up showing every post exactly once, in order, without
//! reloading its list. And a page that finds every stream taken (`MAX_CLIENTS`) gets the `busy`
//! answer, waits, and comes back by itself once a slot is free.
//!
//! Without Chromium this prints that it skipped and why; with `CI=true` a missing Chromium is a
//! failure instead, so CI can never pass without running it.

use std::process::ExitCode;

use browser::posts::{insert, wait_for_titles};
use browser::{run_scenarios, Browser, DEADLINE};
use harness::Lesson;
use mongodb::bson::Document;
use mongodb::Collection;
use practice_mongo::test_support::TestMongo;

const CONNECTION: &str = "document.getElementById('connection').textContent";

async fn a_page_gets_every_post_written_while_the_server_was_down(
    browser: &Browser,
) -> Result<(), String> {
    let mongo = TestMongo::start()
        .await
        .map_err(|e| format!("MongoDB: {e}"))?;
    let uri = mongo.uri_for_db();
    let client = mongodb::Client::with_uri_str(&uri)
        .await
        .map_err(|e| e.to_string())?;
    let posts: Collection<Document> = client.database(mongo.db_name()).collection("post");

    let lesson = Lesson::start_with("lesson06", &[("MONGODB_URI", &uri)]).await;
    let port = lesson.addr().port().to_string();
    insert(&posts, "글 1").await?;
    let page = browser.open(&format!("http://{}/", lesson.addr())).await?;
    page.wait_for(&format!("{CONNECTION} === 'connected'"), DEADLINE)
        .await?;
    wait_for_titles(&page, &["글 1"]).await?;
    insert(&posts, "글 2").await?;
    wait_for_titles(&page, &["글 2", "글 1"]).await?;

    // Stop the server (Ctrl-C): the page notices and keeps trying to reconnect.
    let status = lesson.interrupt().await;
    if !status.success() {
        return Err(format!("lesson06 did not stop cleanly: {status}"));
    }
    page.wait_for(&format!("{CONNECTION} === 'reconnecting…'"), DEADLINE)
        .await?;
    for title in ["글 3", "글 4", "글 5"] {
        insert(&posts, title).await?;
    }

    // Start it again on the same port: the browser reconnects by itself with Last-Event-ID.
    let lesson = Lesson::start_with("lesson06", &[("MONGODB_URI", &uri), ("PORT", &port)]).await;
    let took = page
        .wait_for(&format!("{CONNECTION} === 'connected'"), DEADLINE)
        .await?;
    println!("    (reconnected {took:?} after the restart)");
    wait_for_titles(&page, &["글 5", "글 4", "글 3", "글 2", "글 1"]).await?;
    // They came as replayed events: the list was loaded once, at the start, and never again.
    let loads = page.eval("document.body.dataset.listLoads").await?;
    if loads != "1" {
        return Err(format!(
            "the page loaded its list {loads} times, expected once"
        ));
    }

    insert(&posts, "글 6").await?;
    wait_for_titles(&page, &["글 6", "글 5", "글 4", "글 3", "글 2", "글 1"]).await?;
    drop(lesson);
    client.shutdown().await;
    Ok(())
}

async fn a_page_that_finds_every_stream_taken_comes_back_by_itself(
    browser: &Browser,
) -> Result<(), String> {
    let mongo = TestMongo::start()
        .await
        .map_err(|e| format!("MongoDB: {e}"))?;
    let uri = mongo.uri_for_db();
    let client = mongodb::Client::with_uri_str(&uri)
        .await
        .map_err(|e| e.to_string())?;
    let posts: Collection<Document> = client.database(mongo.db_name()).collection("post");
    let lesson =
        Lesson::start_with("lesson06", &[("MONGODB_URI", &uri), ("MAX_CLIENTS", "1")]).await;

    // Someone else holds the only slot (its first frames are in: its change stream is open).
    let mut holder = harness::http::get(lesson.addr(), "/sse", &[]).await;
    holder.next_frame().await;
    holder.next_frame().await;

    let page = browser.open(&format!("http://{}/", lesson.addr())).await?;
    page.wait_for("Number(document.body.dataset.busyAnswers) >= 1", DEADLINE)
        .await?;
    page.wait_for(
        &format!("{CONNECTION} === 'server busy, retrying…'"),
        DEADLINE,
    )
    .await?;
    // A post written while the page waits: it must be on the page once it gets in.
    insert(&posts, "글 1").await?;

    // The slot comes free; within `retry` (5 s) the browser is back by itself, nothing lost.
    drop(holder);
    let took = page
        .wait_for(&format!("{CONNECTION} === 'connected'"), DEADLINE)
        .await?;
    println!("    (connected {took:?} after the slot came free)");
    wait_for_titles(&page, &["글 1"]).await?;
    insert(&posts, "글 2").await?;
    wait_for_titles(&page, &["글 2", "글 1"]).await?;
    drop(lesson);
    client.shutdown().await;
    Ok(())
}

fn main() -> ExitCode {
    if cfg!(not(unix)) {
        // The scenario stops the server with Ctrl-C, which the harness can send on Unix only.
        println!(
            "lesson06 page: SKIPPED: {}",
            harness::process::SIGNALS_ARE_UNIX_ONLY
        );
        return ExitCode::SUCCESS;
    }
    run_scenarios(
        "lesson06 page",
        &[
            (
                "a_page_gets_every_post_written_while_the_server_was_down",
                |browser| {
                    Box::pin(a_page_gets_every_post_written_while_the_server_was_down(
                        browser,
                    ))
                },
            ),
            (
                "a_page_that_finds_every_stream_taken_comes_back_by_itself",
                |browser| {
                    Box::pin(a_page_that_finds_every_stream_taken_comes_back_by_itself(
                        browser,
                    ))
                },
            ),
        ],
    )
}
