//! Lesson 05's exercises: `lessons/lesson05/exercises/`. Each check gets a MongoDB of its own.

use mongodb::bson::doc;
use tokio::time::timeout;

use crate::mongo::{object_id, start_with_mongo, write_failed};
use crate::expect::{self, quoted, STEP};
use crate::{Check, Mismatch, Program};

/// Each exercise of `lessons/lesson05/exercises/info.toml`, by number, and its check.
pub const CHECKS: &[(u8, Check)] = &[
    (1, |program| Box::pin(limit(program))),
    (2, |program| Box::pin(readers_online(program))),
];

/// `GET path`: the status line and the whole body, each within [`STEP`].
async fn get_body(lesson: &harness::Lesson, path: &str) -> Result<(String, String), Mismatch> {
    let mut response = expect::get(lesson, path).await?;
    match timeout(STEP, response.read_to_end()).await {
        Ok(body) => Ok((
            response.status_line.clone(),
            String::from_utf8_lossy(&body).into_owned(),
        )),
        Err(_) => Err(Mismatch::new(
            &format!("GET {path}: the body"),
            "a body that ends",
            &format!("no end within {STEP:?}"),
        )),
    }
}

/// ex1: three posts; `?limit=2` gives the newest two, no limit gives all, bad limits get 400.
async fn limit(program: Program) -> Result<(), Mismatch> {
    let (lesson, posts, client, _mongo) = start_with_mongo(&program, &[]).await?;
    for (hex, title) in [
        ("65a000000000000000000011", "a"),
        ("65a000000000000000000012", "b"),
        ("65a000000000000000000013", "c"),
    ] {
        posts
            .insert_one(doc! { "_id": object_id(hex)?, "title": title })
            .await
            .map_err(write_failed)?;
    }
    let a = r#"{"_id":"65a000000000000000000011","title":"a"}"#;
    let b = r#"{"_id":"65a000000000000000000012","title":"b"}"#;
    let c = r#"{"_id":"65a000000000000000000013","title":"c"}"#;
    let refused = r#"{"error":"limit must be a whole number from 1 to 50","field":"limit"}"#;

    let mut expected = vec![
        (
            "/posts?limit=2".to_owned(),
            "HTTP/1.1 200 OK",
            format!("[{c},{b}]"),
        ),
        (
            "/posts?limit=1".to_owned(),
            "HTTP/1.1 200 OK",
            format!("[{c}]"),
        ),
        (
            "/posts".to_owned(),
            "HTTP/1.1 200 OK",
            format!("[{c},{b},{a}]"),
        ),
        (
            "/posts?limit=50".to_owned(),
            "HTTP/1.1 200 OK",
            format!("[{c},{b},{a}]"),
        ),
    ];
    for bad in ["0", "51", "abc", "-1", "2.5", ""] {
        expected.push((
            format!("/posts?limit={bad}"),
            "HTTP/1.1 400 Bad Request",
            refused.to_owned(),
        ));
    }
    for (path, status, body) in expected {
        let (got_status, got_body) = get_body(&lesson, &path).await?;
        if (got_status.as_str(), got_body.as_str()) != (status, body.as_str()) {
            return Err(Mismatch::new(
                &format!("GET {path}"),
                &format!("{status}, body {}", quoted(body.as_bytes())),
                &format!("{got_status}, body {}", quoted(got_body.as_bytes())),
            ));
        }
    }
    client.shutdown().await;
    Ok(())
}

/// ex2: one reader sees 1; a second arrives and both see 2; it leaves and the first sees 1;
/// posts still arrive.
async fn readers_online(program: Program) -> Result<(), Mismatch> {
    let (lesson, posts, client, _mongo) = start_with_mongo(&program, &[]).await?;
    let readers = |n: u32| format!("event: readers\ndata: {n}\n\n");

    let mut first = expect::get(&lesson, "/sse").await?;
    expect::frame(&mut first, "first reader, on connecting", &readers(1), STEP).await?;
    let mut second = expect::get(&lesson, "/sse").await?;
    expect::frame(
        &mut second,
        "second reader, on connecting",
        &readers(2),
        STEP,
    )
    .await?;
    expect::frame(
        &mut first,
        "first reader, after the second connected",
        &readers(2),
        STEP,
    )
    .await?;
    drop(second);
    expect::frame(
        &mut first,
        "first reader, after the second left",
        &readers(1),
        STEP,
    )
    .await?;

    posts
        .insert_one(doc! { "_id": object_id("65a000000000000000000014")?, "title": "hi" })
        .await
        .map_err(write_failed)?;
    let post = "event: newPost\ndata: {\"_id\":\"65a000000000000000000014\",\"title\":\"hi\"}\n\n";
    expect::frame(&mut first, "first reader, after an insert", post, STEP).await?;
    client.shutdown().await;
    Ok(())
}
