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

/// Sends `POST /posts` with `Content-Type: <content_type>`, its Content-Length and `body`.
async fn post_as(lesson: &Lesson, content_type: &str, body: &[u8]) -> (u16, String) {
    let headers = format!("Content-Type: {content_type}\r\n{}", length(body));
    post(lesson, &headers, body).await
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
    // One byte more than the limit: the longest valid post in its most expensive encoding.
    let huge = vec![b'a'; 123_425];
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
            "body over the limit",
            json,
            &huge,
            413,
            r#"{"error":"the request body must be at most 123424 bytes","field":null}"#,
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
    let (status, first) =
        post_as(&lesson, "application/json; charset=utf-8", body.as_bytes()).await;
    assert_eq!(status, 201, "{first}");
    assert_post_json(&first, "첫 글 <b>굵게</b>", "줄 하나\n줄 둘");

    let form = "title=%EB%91%98%EC%A7%B8+%EA%B8%80&body=a%26b";
    let (status, second) = post_as(
        &lesson,
        "application/x-www-form-urlencoded",
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
    // Lost events (a slow reader, a change stream opened again) make the page fetch its list.
    assert!(script.contains("addEventListener('lagged', () => catchUp())"));
    assert!(script.contains("addEventListener('resync', () => catchUp())"));
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

/// The percent-encoded UTF-8 of `text`, as a browser sends a form field.
fn percent_encoded(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// `text` as JSON string content with every character escaped (`\uXXXX`, surrogate pairs
/// beyond U+FFFF), the longest way JSON can say it.
fn json_escaped(text: &str) -> String {
    text.encode_utf16()
        .map(|unit| format!("\\u{unit:04x}"))
        .collect()
}

#[tokio::test]
async fn the_longest_valid_post_fits_the_size_limit_in_its_most_expensive_encoding() {
    let (lesson, _mongo) = start().await;
    let mut reader = lesson.get("/sse").await;
    lesson
        .wait_for_json("/stats", "one reader", |s| s["sse_clients"] == 1)
        .await;

    // 200 + 10,000 Hangul syllables as a form: 9 bytes each, 91,812 bytes in all.
    let (title, body) = ("가".repeat(200), "나".repeat(10_000));
    let form = format!(
        "title={}&body={}",
        percent_encoded(&title),
        percent_encoded(&body)
    );
    assert_eq!(form.len(), 91_812);
    let form_type = "application/x-www-form-urlencoded";
    let (status, reply) = post_as(&lesson, form_type, form.as_bytes()).await;
    assert_eq!(status, 201, "{}", &reply[..reply.len().min(200)]);
    assert_post_json(&reply, &title, &body);
    let first = reply;

    // 200 + 10,000 emoji as JSON, each escaped as a surrogate pair: 12 bytes each, 122,422 bytes.
    let (title, body) = ("😀".repeat(200), "🎉".repeat(10_000));
    let json = format!(
        r#"{{"title":"{}","body":"{}"}}"#,
        json_escaped(&title),
        json_escaped(&body)
    );
    let (status, reply) = post_as(&lesson, "application/json", json.as_bytes()).await;
    assert_eq!(json.len(), 122_422);
    assert_eq!(status, 201, "{}", &reply[..reply.len().min(200)]);
    assert_post_json(&reply, &title, &body);
    // Both reach a reader, each as the bytes of its reply.
    for saved in [first, reply] {
        assert!(reader.next_frame().await == format!("event: newPost\ndata: {saved}\n\n"));
    }
}

/// A whole `POST /posts` request: `headers` (each line ending in CRLF), a Content-Length, `body`.
fn post_request(headers: impl AsRef<[u8]>, body: &[u8]) -> Vec<u8> {
    let mut request = b"POST /posts HTTP/1.1\r\nHost: test\r\nConnection: close\r\n".to_vec();
    request.extend_from_slice(headers.as_ref());
    request.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    request.extend_from_slice(body);
    request
}

fn get_request(target: &[u8]) -> Vec<u8> {
    [
        b"GET ".as_slice(),
        target,
        b" HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n",
    ]
    .concat()
}

#[tokio::test]
async fn hostile_input_gets_a_4xx_inserts_nothing_and_the_server_keeps_serving() {
    let (lesson, mongo) = start().await;
    let json = "Content-Type: application/json\r\n";
    let form = "Content-Type: application/x-www-form-urlencoded\r\n";
    let not_json = r#"{"error":"the request body is not valid JSON","field":null}"#;
    let one_line =
        r#"{"error":"title must be one line, without control characters","field":"title"}"#;
    let twice = r#"{"error":"title is given twice","field":"title"}"#;
    let not_utf8_form = r#"{"error":"the form is not valid: its fields must be UTF-8, percent-encoded","field":null}"#;
    let too_large = r#"{"error":"the request body must be at most 123424 bytes","field":null}"#;
    let deep = "[".repeat(100_000);
    let huge = vec![b'x'; 200_000];
    let huge_query = format!("/posts?{}", "a".repeat(100_000));
    let huge_header = format!("X-Big: {}\r\n", "a".repeat(500_000));

    // (what, the raw request, the status, the exact body; `None`: hyper's own empty reply to a
    // request it cannot even parse)
    let table: Vec<(&str, Vec<u8>, u16, Option<&str>)> = vec![
        // POST /posts, JSON
        ("JSON: empty", post_request(json, b""), 400, Some(not_json)),
        ("JSON: binary", post_request(json, b"\x00\x01\xfe\xff"), 400, Some(not_json)),
        ("JSON: invalid UTF-8 in a string", post_request(json, b"{\"title\":\"a\xc3\x28\"}"), 400, Some(not_json)),
        ("JSON: LF in the title", post_request(json, br#"{"title":"a\nb"}"#), 400, Some(one_line)),
        ("JSON: CR in the title", post_request(json, br#"{"title":"a\rb"}"#), 400, Some(one_line)),
        ("JSON: NUL in the title", post_request(json, br#"{"title":"a\u0000b"}"#), 400, Some(one_line)),
        ("JSON: NUL in a key", post_request(json, br#"{"title\u0000":"a"}"#), 400,
            Some("{\"error\":\"unknown field title\\u0000\",\"field\":\"title\\u0000\"}")),
        ("JSON: nested 100,000 deep", post_request(json, deep.as_bytes()), 400, Some(not_json)),
        ("JSON: duplicate keys", post_request(json, br#"{"title":"a","title":"b"}"#), 400, Some(twice)),
        ("JSON: huge", post_request(json, &huge), 413, Some(too_large)),
        // POST /posts, form
        ("form: empty", post_request(form, b""), 400, Some(r#"{"error":"title is required","field":"title"}"#)),
        ("form: binary", post_request(form, b"title=\x00\xfe\xff"), 400, Some(not_utf8_form)),
        ("form: %FF", post_request(form, b"title=%FF"), 400, Some(not_utf8_form)),
        ("form: CR LF in the title", post_request(form, b"title=a%0D%0Ab"), 400, Some(one_line)),
        ("form: NUL in the title", post_request(form, b"title=a%00b"), 400, Some(one_line)),
        ("form: duplicate keys", post_request(form, b"title=a&title=b"), 400, Some(twice)),
        ("form: huge", post_request(form, &huge), 413, Some(too_large)),
        // GET /posts and its query
        ("query: a parameter", get_request(b"/posts?x=1"), 400,
            Some(r#"{"error":"GET /posts takes no query parameters, got x","field":"x"}"#)),
        ("query: %FF", get_request(b"/posts?%FF=1"), 400,
            Some(r#"{"error":"GET /posts takes no query parameters, got %FF","field":"%FF"}"#)),
        ("query: raw invalid UTF-8", get_request(b"/posts?\xff"), 400, None),
        ("query: NUL", get_request(b"/posts?a\x00b"), 400, None),
        ("query: huge", get_request(huge_query.as_bytes()), 414, None),
        // Headers: Content-Type is the one this lesson reads
        ("Content-Type: not UTF-8", post_request(b"Content-Type: application/\xff\r\n", br#"{"title":"t"}"#), 400,
            Some(r#"{"error":"the content-type header is not valid","field":null}"#)),
        ("Content-Type: empty", post_request("Content-Type: \r\n", br#"{"title":"t"}"#), 415,
            Some(r#"{"error":"Content-Type must be application/json or application/x-www-form-urlencoded","field":null}"#)),
        ("Content-Type: NUL", post_request(b"Content-Type: application/json\x00\r\n", br#"{"title":"t"}"#), 400, None),
        ("a header of 500 KB", post_request(format!("{json}{huge_header}"), br#"{"title":"t"}"#), 431, None),
        ("Content-Length: 10 GB", [b"POST /posts HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n{}".as_slice()].concat(), 413, Some(too_large)),
    ];
    for (what, request, status, expected) in table {
        let mut response = http::send(lesson.addr(), &request).await;
        let body = String::from_utf8_lossy(&response.read_to_end().await).into_owned();
        assert_eq!(response.status, status, "{what}: {body}");
        match expected {
            Some(expected) => assert_eq!(body, expected, "{what}"),
            None => assert_eq!(body, "", "{what}"),
        }
        // The server still answers the next request.
        assert_eq!(get_text(&lesson, "/posts").await, "[]", "after {what}");
    }

    // Nothing reached the collection.
    let client = mongodb::Client::with_uri_str(&mongo.uri_for_db())
        .await
        .expect("driver connects");
    let stored = client
        .database(mongo.db_name())
        .collection::<mongodb::bson::Document>("post")
        .count_documents(mongodb::bson::doc! {})
        .await
        .expect("count");
    assert_eq!(stored, 0);
    client.shutdown().await;
}
