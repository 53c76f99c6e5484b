//! Lesson 06's exercises: `lessons/lesson06/exercises/`. Each check gets a MongoDB of its own
//! (the practice server, or `MONGODB_URI`), starts the program on it and writes through the driver.

use mongodb::bson::{doc, Document};
use mongodb::Collection;
use practice_mongo::test_support::TestMongo;
use tokio::time::timeout;

use crate::mongo::{object_id, write_failed};
use crate::expect::{self, STEP};
use crate::{Check, Mismatch, Program};

/// Each exercise of `lessons/lesson06/exercises/info.toml`, by number, and its check.
pub const CHECKS: &[(u8, Check)] = &[
    (1, |program| Box::pin(retry_from_env(program))),
    (2, |program| Box::pin(id_in_query(program))),
];

/// The program on a MongoDB of its own, with `env`, and the `post` collection.
async fn start(
    program: &Program,
    env: &[(&str, &str)],
) -> Result<(harness::Lesson, Collection<Document>, TestMongo), Mismatch> {
    let mongo = TestMongo::start()
        .await
        .map_err(|e| Mismatch::stopped(&format!("no MongoDB for the check: {e}")))?;
    let uri = mongo.uri_for_db();
    let mut env = env.to_vec();
    env.push(("MONGODB_URI", &uri));
    let lesson = program.start(&env).await;
    let client = mongodb::Client::with_uri_str(&uri)
        .await
        .map_err(|e| Mismatch::stopped(&format!("the check's own MongoDB client: {e}")))?;
    let posts = client.database(mongo.db_name()).collection("post");
    Ok((lesson, posts, mongo))
}

/// Inserts post `n` (a fixed `_id`, title `글 n`) and returns its JSON as lesson06 sends it.
async fn insert(posts: &Collection<Document>, n: u8) -> Result<String, Mismatch> {
    let hex = format!("65a0000000000000000000{n:02x}");
    posts
        .insert_one(doc! { "_id": object_id(&hex)?, "title": format!("글 {n}") })
        .await
        .map_err(write_failed)?;
    Ok(format!("{{\"_id\":\"{hex}\",\"title\":\"글 {n}\"}}"))
}

/// The next frame is `before` + `id: <hex>` + the blank line; returns the id.
async fn expect_frame_with_id(
    response: &mut harness::Response,
    step: &str,
    before: &str,
) -> Result<String, Mismatch> {
    let want = format!("{before}id: <a resume token in hex>\n\n");
    let frame = timeout(STEP, response.next_frame()).await.map_err(|_| {
        Mismatch::new(
            step,
            &expect::quoted(want.as_bytes()),
            &format!(
                "no complete frame within {STEP:?}; the body so far: {}",
                expect::quoted(response.body_so_far())
            ),
        )
    })?;
    let id = frame
        .strip_prefix(before)
        .and_then(|rest| rest.strip_prefix("id: "))
        .and_then(|rest| rest.strip_suffix("\n\n"))
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit()));
    id.map(str::to_owned).ok_or_else(|| {
        Mismatch::new(
            step,
            &expect::quoted(want.as_bytes()),
            &expect::quoted(frame.as_bytes()),
        )
    })
}

fn new_post(json: &str) -> String {
    format!("event: newPost\ndata: {json}\n")
}

/// ex1: `RETRY_MS=2500` gives `retry: 2500`; without it, or when it is not a number, `retry: 1000`.
async fn retry_from_env(program: Program) -> Result<(), Mismatch> {
    let cases = [
        (Some("2500"), "retry: 2500\n\n"),
        (Some("soon"), "retry: 1000\n\n"),
        (None, "retry: 1000\n\n"),
    ];
    for (value, want) in cases {
        let env: Vec<(&str, &str)> = value.map(|v| ("RETRY_MS", v)).into_iter().collect();
        let (lesson, posts, _mongo) = start(&program, &env).await?;
        let step = match value {
            Some(v) => format!("GET /sse with RETRY_MS={v}"),
            None => "GET /sse without RETRY_MS".to_owned(),
        };
        let mut response = expect::get(&lesson, "/sse").await?;
        expect::status(&response, &step, "HTTP/1.1 200 OK")?;
        expect::frame(&mut response, &format!("{step}, frame 1"), want, STEP).await?;
        // The rest is lesson06 as before: the position, then the posts with their ids.
        expect_frame_with_id(&mut response, &format!("{step}, frame 2"), "").await?;
        let post = insert(&posts, 1).await?;
        let step = format!("{step}, after an insert");
        expect_frame_with_id(&mut response, &step, &new_post(&post)).await?;
    }
    Ok(())
}

/// ex2: `/sse?lastEventId=<id of post 1>` replays posts 2 and 3; the header wins over the query.
async fn id_in_query(program: Program) -> Result<(), Mismatch> {
    let (lesson, posts, _mongo) = start(&program, &[]).await?;
    let mut first = expect::get(&lesson, "/sse").await?;
    expect::frame(&mut first, "GET /sse, frame 1", "retry: 1000\n\n", STEP).await?;
    expect_frame_with_id(&mut first, "GET /sse, frame 2", "").await?;
    let post1 = insert(&posts, 1).await?;
    let id1 = expect_frame_with_id(&mut first, "GET /sse, post 1", &new_post(&post1)).await?;
    drop(first);
    let missed = [insert(&posts, 2).await?, insert(&posts, 3).await?];

    let path = format!("/sse?lastEventId={id1}");
    let mut back = expect::get(&lesson, &path).await?;
    let step = format!("GET {path} (post 1's id), after posts 2 and 3 were written");
    expect::status(&back, &step, "HTTP/1.1 200 OK")?;
    expect::frame(
        &mut back,
        &format!("{step}, frame 1"),
        "retry: 1000\n\n",
        STEP,
    )
    .await?;
    for (n, post) in missed.iter().enumerate() {
        let step = format!("{step}, frame {} (post {} replayed)", n + 2, n + 2);
        expect_frame_with_id(&mut back, &step, &new_post(post)).await?;
    }
    drop(back);

    // Both: the header is what the browser keeps up to date, so it wins.
    let path = "/sse?lastEventId=not-this-one";
    let step = format!("GET {path} with Last-Event-ID: <post 1's id>");
    let headers = [("Last-Event-ID", id1.as_str())];
    let mut both = timeout(STEP, harness::http::get(lesson.addr(), path, &headers))
        .await
        .map_err(|_| Mismatch::new(&step, "a status line and headers", "nothing"))?;
    expect::frame(
        &mut both,
        &format!("{step}, frame 1"),
        "retry: 1000\n\n",
        STEP,
    )
    .await?;
    expect_frame_with_id(
        &mut both,
        &format!("{step}, frame 2"),
        &new_post(&missed[0]),
    )
    .await?;
    Ok(())
}
