//! Lesson 04's exercises: `lessons/lesson04/exercises/`. Each check gets a MongoDB of its own
//! (the practice server, or `MONGODB_URI`), starts the program on it and writes through the driver.

use mongodb::bson::doc;

use crate::mongo::{object_id, start_with_mongo, write_failed};
use crate::expect::{self, STEP};
use crate::{Check, Mismatch, Program};

/// Each exercise of `lessons/lesson04/exercises/info.toml`, by number, and its check.
pub const CHECKS: &[(u8, Check)] = &[
    (1, |program| Box::pin(updates_and_deletes(program))),
    (2, |program| Box::pin(welcome(program))),
];

/// ex1: insert, update, delete, insert: four frames, one of each kind, in order.
async fn updates_and_deletes(program: Program) -> Result<(), Mismatch> {
    let (lesson, posts, client, _mongo) = start_with_mongo(&program, &[]).await?;
    let mut response = expect::get(&lesson, "/sse").await?;
    expect::status(&response, "GET /sse", "HTTP/1.1 200 OK")?;

    let first = object_id("65a000000000000000000001")?;
    let second = object_id("65a000000000000000000002")?;
    posts
        .insert_one(doc! { "_id": first, "title": "a" })
        .await
        .map_err(write_failed)?;
    posts
        .update_one(doc! { "_id": first }, doc! { "$set": { "title": "b" } })
        .await
        .map_err(write_failed)?;
    posts
        .delete_one(doc! { "_id": first })
        .await
        .map_err(write_failed)?;
    posts
        .insert_one(doc! { "_id": second, "title": "c" })
        .await
        .map_err(write_failed)?;

    let expected = [
        (
            "after insert_one({_id: 1, title: \"a\"})",
            "event: newPost\ndata: {\"_id\":\"65a000000000000000000001\",\"title\":\"a\"}\n\n",
        ),
        (
            "after update_one({$set: {title: \"b\"}})",
            "event: postUpdated\ndata: {\"_id\":\"65a000000000000000000001\",\"title\":\"b\"}\n\n",
        ),
        (
            "after delete_one({_id: 1})",
            "event: postDeleted\ndata: {\"_id\":\"65a000000000000000000001\"}\n\n",
        ),
        (
            "after insert_one({_id: 2, title: \"c\"})",
            "event: newPost\ndata: {\"_id\":\"65a000000000000000000002\",\"title\":\"c\"}\n\n",
        ),
    ];
    for (step, frame) in expected {
        expect::frame(&mut response, &format!("GET /sse, {step}"), frame, STEP).await?;
    }
    client.shutdown().await;
    Ok(())
}

/// ex2: the first client is welcomed with 1, the second with 2, then both get the post.
async fn welcome(program: Program) -> Result<(), Mismatch> {
    let (lesson, posts, client, _mongo) = start_with_mongo(&program, &[]).await?;
    let mut first = expect::get(&lesson, "/sse").await?;
    expect::frame(
        &mut first,
        "first client, first frame",
        "event: welcome\ndata: {\"clients\":1}\n\n",
        STEP,
    )
    .await?;
    let mut second = expect::get(&lesson, "/sse").await?;
    expect::frame(
        &mut second,
        "second client, first frame",
        "event: welcome\ndata: {\"clients\":2}\n\n",
        STEP,
    )
    .await?;

    let id = object_id("65a000000000000000000003")?;
    posts
        .insert_one(doc! { "_id": id, "title": "hi" })
        .await
        .map_err(write_failed)?;
    let post = "event: newPost\ndata: {\"_id\":\"65a000000000000000000003\",\"title\":\"hi\"}\n\n";
    expect::frame(&mut first, "first client, after an insert", post, STEP).await?;
    expect::frame(&mut second, "second client, after an insert", post, STEP).await?;
    client.shutdown().await;
    Ok(())
}
