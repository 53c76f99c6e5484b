//! lesson05: `POST /posts` checks its input, `GET /posts` lists newest first, and every saved post
//! reaches `/sse` readers as `newPost`. (The page itself is tested in a real browser: tests/browser.)

use harness::{http, Lesson, Response};
use practice_mongo::test_support::TestMongo;

async fn start() -> (Lesson, TestMongo) {
    let mongo = TestMongo::start().await.expect("a MongoDB for the test");
    let lesson = Lesson::start_with("lesson05", &[("MONGODB_URI", &mongo.uri_for_db())]).await;
    (lesson, mongo)
}

/// Sends `POST /posts` with the given raw header lines and body; returns status and body text.
async fn post(lesson: &Lesson, headers: &str, body: &[u8]) -> (u16, String) {
    let mut request =
        format!("POST /posts HTTP/1.1\r\nHost: test\r\nConnection: close\r\n{headers}\r\n")
            .into_bytes();
    request.extend_from_slice(body);
    let mut response = http::send(lesson.addr(), &request).await;
    let text = String::from_utf8(response.read_to_end().await).expect("UTF-8 body");
    if response.status != 404 {
        assert_eq!(
            response.header("content-type"),
            Some("application/json"),
            "{text}"
        );
    }
    (response.status, text)
}

fn length(body: &[u8]) -> String {
    format!("Content-Length: {}\r\n", body.len())
}

async fn get_text(lesson: &Lesson, path: &str) -> String {
    let mut response = lesson.get(path).await;
    assert_eq!(response.status, 200);
    String::from_utf8(response.read_to_end().await).expect("UTF-8 body")
}

#[tokio::test]
async fn bad_input_gets_a_json_error_naming_the_field_and_inserts_nothing() {
    let (lesson, _mongo) = start().await;
    let json = "Content-Type: application/json\r\n";
    let form = "Content-Type: application/x-www-form-urlencoded\r\n";
    let long_title = format!(r#"{{"title":"{}"}}"#, "가".repeat(201));
    let long_body = format!(r#"{{"title":"t","body":"{}"}}"#, "a".repeat(10_001));
    let huge = vec![b'a'; 70_000];
    let media = r#"{"error":"Content-Type must be application/json or application/x-www-form-urlencoded","field":null}"#;
    let title_length =
        r#"{"error":"title must be 1 to 200 characters after trimming","field":"title"}"#;

    // (what, content type, body, status, exact response body)
    let table: Vec<(&str, &str, &[u8], u16, &str)> = vec![
        (
            "no title",
            json,
            br#"{"body":"x"}"#,
            400,
            r#"{"error":"title is required","field":"title"}"#,
        ),
        (
            "blank title",
            json,
            br#"{"title":"   "}"#,
            400,
            title_length,
        ),
        (
            "201-character title",
            json,
            long_title.as_bytes(),
            400,
            title_length,
        ),
        (
            "title not a string",
            json,
            br#"{"title":12}"#,
            400,
            r#"{"error":"title must be a string","field":"title"}"#,
        ),
        (
            "body too long",
            json,
            long_body.as_bytes(),
            400,
            r#"{"error":"body must be at most 10000 characters","field":"body"}"#,
        ),
        (
            "body not a string",
            json,
            br#"{"title":"t","body":{}}"#,
            400,
            r#"{"error":"body must be a string","field":"body"}"#,
        ),
        (
            "unknown field",
            json,
            br#"{"title":"t","author":"x"}"#,
            400,
            r#"{"error":"unknown field author","field":"author"}"#,
        ),
        (
            "broken JSON",
            json,
            br#"{"title":"t""#,
            400,
            r#"{"error":"the request body is not valid JSON","field":null}"#,
        ),
        (
            "JSON not an object",
            json,
            br#""t""#,
            400,
            r#"{"error":"the request body must be a JSON object","field":null}"#,
        ),
        (
            "form without title",
            form,
            b"body=x",
            400,
            r#"{"error":"title is required","field":"title"}"#,
        ),
        (
            "form with title twice",
            form,
            b"title=a&title=b",
            400,
            r#"{"error":"title is given twice","field":"title"}"#,
        ),
        (
            "text/plain",
            "Content-Type: text/plain\r\n",
            b"title=t",
            415,
            media,
        ),
        ("no Content-Type", "", br#"{"title":"t"}"#, 415, media),
        (
            "body over 64 KiB",
            json,
            &huge,
            413,
            r#"{"error":"the request body must be at most 64 KiB","field":null}"#,
        ),
    ];
    for (what, content_type, body, status, expected) in table {
        let (got_status, got_body) =
            post(&lesson, &format!("{content_type}{}", length(body)), body).await;
        assert_eq!(
            (got_status, got_body.as_str()),
            (status, expected),
            "{what}"
        );
    }
    // Without a Content-Length (a chunked upload) the size cannot be checked first: refused.
    let (status, body) = post(
        &lesson,
        &format!("{json}Transfer-Encoding: chunked\r\n"),
        b"5\r\nhello\r\n0\r\n\r\n",
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (
            411,
            r#"{"error":"send the request body with a Content-Length header","field":null}"#
        )
    );

    // Nothing was inserted: the list is empty and the change stream saw no insert.
    assert_eq!(get_text(&lesson, "/posts").await, "[]");
    assert_eq!(lesson.get_json("/stats").await["posts"], 0);
}

/// The `_id` and `createdAt` are made by the server; everything else is known.
fn assert_post_json(json: &str, title: &str, body: &str) {
    let value: serde_json::Value = serde_json::from_str(json).expect("a post is JSON");
    let keys: Vec<&str> = value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["_id", "title", "body", "createdAt"], "{json}");
    let id = value["_id"].as_str().expect("_id is a string");
    assert!(
        id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
    assert_eq!(value["title"], title);
    assert_eq!(value["body"], body);
    let created = value["createdAt"].as_str().expect("createdAt is a string");
    assert!(
        created.len() == 24 && created.ends_with('Z') && created.as_bytes()[10] == b'T',
        "{created}"
    );
}

#[tokio::test]
async fn a_saved_post_reaches_readers_exactly_as_the_post_reply_shows_it() {
    let (lesson, _mongo) = start().await;
    let mut reader: Response = lesson.get("/sse").await;
    assert_eq!(reader.header("content-type"), Some("text/event-stream"));
    lesson
        .wait_for_json("/stats", "one reader", |s| s["sse_clients"] == 1)
        .await;

    let body = r#"{"title":"  첫 글 <b>굵게</b>  ","body":"줄 하나\n줄 둘"}"#;
    let (status, first) = post(
        &lesson,
        &format!(
            "Content-Type: application/json; charset=utf-8\r\n{}",
            length(body.as_bytes())
        ),
        body.as_bytes(),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    assert_post_json(&first, "첫 글 <b>굵게</b>", "줄 하나\n줄 둘");

    let form = "title=%EB%91%98%EC%A7%B8+%EA%B8%80&body=a%26b";
    let (status, second) = post(
        &lesson,
        &format!(
            "Content-Type: application/x-www-form-urlencoded\r\n{}",
            length(form.as_bytes())
        ),
        form.as_bytes(),
    )
    .await;
    assert_eq!(status, 201, "{second}");
    assert_post_json(&second, "둘째 글", "a&b");

    // The event a reader gets carries byte for byte the JSON the writer got back.
    assert_eq!(
        reader.next_frame().await,
        format!("event: newPost\ndata: {first}\n\n")
    );
    assert_eq!(
        reader.next_frame().await,
        format!("event: newPost\ndata: {second}\n\n")
    );

    // And GET /posts lists them newest first.
    assert_eq!(
        get_text(&lesson, "/posts").await,
        format!("[{second},{first}]")
    );
}

#[tokio::test]
async fn the_page_and_its_script_are_served() {
    let (lesson, _mongo) = start().await;
    let page = get_text(&lesson, "/").await;
    assert!(page.contains(r#"<script src="/lesson05.js"></script>"#));
    let mut script = lesson.get("/lesson05.js").await;
    assert_eq!(
        script.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    let script = String::from_utf8(script.read_to_end().await).expect("UTF-8");
    assert!(script.contains("new EventSource('/sse')"));
    assert!(script.contains("addEventListener('newPost'"));
    // That the page never runs HTML from a post is proven in a real browser (tests/browser).
    let (status, body) = post(&lesson, "Content-Length: 0\r\n", b"").await;
    assert_eq!(
        (status, body.as_str()),
        (
            415,
            r#"{"error":"Content-Type must be application/json or application/x-www-form-urlencoded","field":null}"#
        )
    );
    let missing = lesson.get("/nope").await;
    assert_eq!(missing.status, 404);
}
