//! lesson08: three instances of the lesson's binary behind a real nginx (the shipped
//! `lessons/lesson08/nginx.conf`, filled in as `--bin cluster` fills it), on the practice server
//! (or the MongoDB in `MONGODB_URI`). Raw HTTP/1.1 readers check the bytes.
//!
//! Without nginx each test prints `SKIPPED: ... (install nginx)` and returns; under `CI=true`
//! that is a failure instead.

use std::net::SocketAddr;
use std::time::Duration;

mod numbered_post;

use harness::nginx::{self, Nginx, RunDir};
use harness::{http, show, Lesson, Response, DEADLINE};
use mongodb::bson::Document;
use mongodb::Collection;
use numbered_post::post;
use practice_mongo::test_support::TestMongo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

const RETRY: &str = "retry: 3000\n\n";
const KEEP_ALIVE: &str = ": keep-alive\n\n";
/// What a browser sends: it would take gzip, and the shipped config must not give it any.
const ACCEPT_GZIP: (&str, &str) = ("Accept-Encoding", "gzip, deflate, br");

/// MongoDB, `n` instances of `cargo run -p lesson08` and nginx in front of them.
struct Cluster {
    instances: Vec<Lesson>,
    nginx: Nginx,
    /// nginx's plain HTTP/1.1 listener.
    http: SocketAddr,
    posts: Collection<Document>,
    _mongo: TestMongo,
}

/// How a test changes the shipped configuration (the wrong-config test swaps one line).
fn shipped(config: String) -> String {
    config
}

async fn start_cluster(
    test: &str,
    n: usize,
    env: &[(&str, &str)],
    read_timeout: Duration,
    edit: impl Fn(String) -> String,
) -> Option<Cluster> {
    let program = nginx::program_or_skip(lesson08::nginx::find(), test)?;
    let mongo = TestMongo::start().await.expect("a MongoDB for the test");
    let uri = mongo.uri_for_db();
    let mut instances = Vec::new();
    for name in ["a", "b", "c"].into_iter().take(n) {
        let mut env = env.to_vec();
        env.extend([("MONGODB_URI", uri.as_str()), ("INSTANCE", name)]);
        instances.push(Lesson::start_with("lesson08", &env).await);
    }
    let dir = RunDir::new();
    let free_port = || lesson08::nginx::free_port().expect("a free port");
    let (http_port, https_port) = (free_port(), free_port());
    let settings = lesson08::nginx::Settings {
        dir: dir.path.clone(),
        instances: instances.iter().map(Lesson::addr).collect(),
        http_port,
        https_port,
        read_timeout,
    };
    let config = edit(
        settings
            .fill(lesson08::nginx::TEMPLATE)
            .expect("the template fills"),
    );
    let child = lesson08::nginx::start(&program, &settings, &config, DEADLINE)
        .await
        .unwrap_or_else(|why| panic!("{why}"));
    let nginx = Nginx::new(child, dir);
    let client = mongodb::Client::with_uri_str(&uri)
        .await
        .expect("driver connects");
    Some(Cluster {
        instances,
        nginx,
        http: SocketAddr::from(([127, 0, 0, 1], http_port)),
        posts: client.database(mongo.db_name()).collection("post"),
        _mongo: mongo,
    })
}

impl Cluster {
    /// `GET /sse` through nginx, with `extra` headers; checks the head of a live event stream.
    async fn reader(&self, extra: &[(&str, &str)]) -> Response {
        let mut extra = extra.to_vec();
        extra.push(ACCEPT_GZIP);
        let response = http::get(self.http, "/sse", &extra).await;
        assert_eq!(
            response.status_line, "HTTP/1.1 200 OK",
            "{:?}",
            response.headers
        );
        response
    }

    /// The running instance that answered `response`.
    fn instance_of(&self, response: &Response) -> usize {
        let name = response
            .header("x-instance")
            .expect("X-Instance on every response");
        ["a", "b", "c"]
            .iter()
            .position(|n| *n == name)
            .unwrap_or_else(|| panic!("unknown instance {name:?}"))
    }

    /// Inserts post `n` and returns the frame it must become, without its `id:` line.
    async fn insert(&self, n: u32) -> String {
        let (document, frame) = post(n);
        self.posts.insert_one(document).await.expect("insert");
        frame
    }
}

/// A `newPost` frame split into the frame without its `id:` line, and the id (a resume token).
fn split_id(frame: &str) -> (String, String) {
    let lines: Vec<&str> = frame.trim_end_matches('\n').split('\n').collect();
    let (last, rest) = lines.split_last().expect("a frame has lines");
    let id = last.strip_prefix("id: ").unwrap_or_else(|| {
        panic!(
            "the last line of a post's frame is its id: {}",
            show(frame.as_bytes())
        )
    });
    assert!(
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "id {id:?}"
    );
    (format!("{}\n\n", rest.join("\n")), id.to_owned())
}

/// Reads the next frame and checks it is `expected` plus an `id:`; returns the id.
async fn expect_post(reader: &mut Response, expected: &str) -> String {
    let frame = reader.next_frame().await;
    let (without_id, id) = split_id(&frame);
    assert_eq!(without_id, expected, "frame {}", show(frame.as_bytes()));
    id
}

#[tokio::test]
async fn the_shipped_config_passes_each_frame_at_once_and_a_buffering_one_holds_it_back() {
    let test = "the_shipped_config_passes_each_frame_at_once";
    let Some(cluster) = start_cluster(test, 1, &[], Duration::from_secs(60), shipped).await else {
        return;
    };
    let mut reader = cluster.reader(&[]).await;
    reader.expect_body(RETRY.as_bytes()).await;
    for n in 1..=3 {
        let inserted = Instant::now();
        let expected = cluster.insert(n).await;
        expect_post(&mut reader, &expected).await;
        let took = inserted.elapsed();
        assert!(
            took < Duration::from_millis(200),
            "post {n} took {took:?} through nginx"
        );
    }
    drop(reader);
    drop(cluster);

    // The wrong configuration: buffering on, the app's `X-Accel-Buffering: no` ignored, and
    // gzip for event streams. Buffering alone does not hold small frames back (nginx passes on
    // what it has read whenever the browser can take it); gzip waits for a buffer's worth of
    // data before it writes anything. See README, "Buffering".
    let wrong = |config: String| {
        let line = "proxy_buffering off;";
        assert_eq!(
            config.matches(line).count(),
            1,
            "the shipped config has `{line}` once"
        );
        config.replace(
            line,
            "proxy_buffering on; proxy_ignore_headers X-Accel-Buffering; \
             gzip on; gzip_types text/event-stream;",
        )
    };
    let test = "a_buffering_config_holds_frames_back";
    let Some(cluster) = start_cluster(test, 1, &[], Duration::from_secs(60), wrong).await else {
        return;
    };
    // A raw socket: with this config not even the response head comes through, because
    // nginx sends the head together with the first body bytes, which gzip holds back.
    let mut socket = TcpStream::connect(cluster.http)
        .await
        .expect("connect to nginx");
    let request = "GET /sse HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n";
    socket
        .write_all(request.as_bytes())
        .await
        .expect("send the request");
    for n in 1..=3 {
        cluster.insert(n).await;
    }
    // Not a sleep: an observation window in which the frames (or any byte) could have come.
    let mut buf = [0u8; 1024];
    match tokio::time::timeout(Duration::from_secs(1), socket.read(&mut buf)).await {
        Err(_) => {} // nothing arrived: the frames are held back
        Ok(read) => panic!(
            "expected nothing for 1 s, got {read:?}: {}",
            show(&buf[..*read.as_ref().unwrap_or(&0)])
        ),
    }
}

#[tokio::test]
async fn keep_alive_comments_keep_a_quiet_stream_open_past_proxy_read_timeout() {
    let test = "keep_alive_comments_keep_a_quiet_stream_open";
    let env = [("KEEP_ALIVE_MS", "300")];
    let Some(cluster) = start_cluster(test, 1, &env, Duration::from_secs(1), shipped).await else {
        return;
    };
    let mut reader = cluster.reader(&[]).await;
    reader.expect_body(RETRY.as_bytes()).await;
    let opened = Instant::now();
    let mut comments = 0;
    while opened.elapsed() < Duration::from_secs(5) {
        // Each `next_frame` fails if nginx ends the stream.
        assert_eq!(reader.next_frame().await, KEEP_ALIVE);
        comments += 1;
    }
    assert!(comments >= 10, "only {comments} comments in 5 s");
}

#[tokio::test]
async fn without_keep_alive_nginx_ends_a_quiet_stream_at_proxy_read_timeout() {
    let test = "without_keep_alive_nginx_ends_a_quiet_stream";
    let env = [("KEEP_ALIVE_MS", "0")];
    let Some(cluster) = start_cluster(test, 1, &env, Duration::from_secs(1), shipped).await else {
        return;
    };
    let mut reader = cluster.reader(&[]).await;
    reader.expect_body(RETRY.as_bytes()).await;
    let opened = Instant::now();
    reader.expect_closed().await;
    let lasted = opened.elapsed();
    assert!(
        lasted >= Duration::from_millis(900) && lasted < Duration::from_secs(4),
        "nginx ended the stream after {lasted:?}, expected about 1 s"
    );
    let log = cluster.nginx.error_log();
    assert!(log.contains("upstream timed out"), "nginx's log:\n{log}");
}

#[tokio::test]
#[cfg_attr(not(unix), ignore = "SIGKILL is sent with `kill`, Unix only")]
async fn a_reader_whose_instance_dies_resumes_on_another_with_nothing_lost() {
    let test = "a_reader_whose_instance_dies_resumes_on_another";
    let Some(mut cluster) = start_cluster(test, 3, &[], Duration::from_secs(60), shipped).await
    else {
        return;
    };
    let mut reader = cluster.reader(&[]).await;
    let first = cluster.instance_of(&reader);
    reader.expect_body(RETRY.as_bytes()).await;
    let mut last_id = String::new();
    for n in 1..=3 {
        let expected = cluster.insert(n).await;
        last_id = expect_post(&mut reader, &expected).await;
    }

    // SIGKILL: no goodbye, no clean close from the instance. nginx ends the reader's response.
    cluster.instances[first].send_signal("KILL");
    cluster.instances[first].wait_for_exit().await;
    reader.expect_closed().await;

    let mut missed = Vec::new();
    for n in 4..=6 {
        missed.push(cluster.insert(n).await);
    }
    // What a browser does: reconnect to the same URL with the last id it saw.
    let mut reader = cluster.reader(&[("Last-Event-ID", &last_id)]).await;
    let second = cluster.instance_of(&reader);
    assert_ne!(second, first, "the dead instance cannot answer");
    reader.expect_body(RETRY.as_bytes()).await;
    let mut ids = vec![last_id];
    for expected in &missed {
        ids.push(expect_post(&mut reader, expected).await);
    }
    let expected = cluster.insert(7).await;
    ids.push(expect_post(&mut reader, &expected).await);
    let mut distinct = ids.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        ids.len(),
        "every post has its own id: {ids:?}"
    );
    // Once each: nothing more comes (keep-alive is 15 s by default).
    reader
        .assert_open_and_quiet_for(Duration::from_millis(500))
        .await;
}

#[tokio::test]
async fn three_hundred_readers_over_three_instances_get_every_post_once_in_order() {
    let test = "three_hundred_readers_over_three_instances";
    let Some(cluster) = start_cluster(test, 3, &[], Duration::from_secs(60), shipped).await else {
        return;
    };
    let mut readers = Vec::new();
    for _ in 0..300 {
        // The head comes after the reader has joined its instance's feed (see catch_up.rs).
        let mut reader = cluster.reader(&[]).await;
        reader.expect_body(RETRY.as_bytes()).await;
        readers.push(reader);
    }
    let mut per_instance = Vec::new();
    for instance in &cluster.instances {
        let stats = instance.get_json("/stats").await;
        assert_eq!(stats["change_streams"], 1, "{stats}");
        per_instance.push(stats["sse_clients"].as_u64().unwrap_or(0));
    }
    assert_eq!(per_instance.iter().sum::<u64>(), 300, "{per_instance:?}");
    assert!(
        per_instance.iter().all(|n| *n > 0),
        "spread: {per_instance:?}"
    );

    let mut expected = Vec::new();
    for n in 1..=20 {
        expected.push(cluster.insert(n).await);
    }
    let expected = std::sync::Arc::new(expected);
    let mut tasks = Vec::new();
    for mut reader in readers {
        let expected = std::sync::Arc::clone(&expected);
        tasks.push(tokio::spawn(async move {
            for frame in expected.iter() {
                expect_post(&mut reader, frame).await;
            }
            // Once each: nothing after the 20th (keep-alive is 15 s by default).
            reader
                .assert_open_and_quiet_for(Duration::from_millis(500))
                .await;
        }));
    }
    let started = Instant::now();
    for task in tasks {
        task.await.expect("a reader got every post once, in order");
        assert!(started.elapsed() < DEADLINE * 2, "readers are too slow");
    }
}

#[tokio::test]
async fn through_nginx_the_bytes_are_the_instances_bytes() {
    let test = "through_nginx_the_bytes_are_the_instances_bytes";
    let Some(cluster) = start_cluster(test, 1, &[], Duration::from_secs(60), shipped).await else {
        return;
    };
    let instance = &cluster.instances[0];
    let mut direct = http::get(instance.addr(), "/sse", &[ACCEPT_GZIP]).await;
    let mut proxied = cluster.reader(&[]).await;
    assert_eq!(direct.header("x-accel-buffering"), Some("no"));
    for (name, expected) in [
        ("content-type", Some("text/event-stream")),
        ("cache-control", Some("no-cache")),
        ("transfer-encoding", Some("chunked")),
        ("content-encoding", None),
        ("x-instance", Some("a")),
        // The app's switch for nginx is consumed by nginx, not passed on.
        ("x-accel-buffering", None),
    ] {
        assert_eq!(proxied.header(name), expected, "{name} through nginx");
    }
    // A title with a line break and a character outside the BMP: still byte for byte.
    let (document, _) = post(1);
    let mut document = document;
    document.insert("title", "첫째 줄\n둘째 줄 🙂");
    cluster.posts.insert_one(document).await.expect("insert");
    let expected = cluster.insert(2).await;
    for reader in [&mut direct, &mut proxied] {
        assert_eq!(reader.next_frame().await, RETRY);
        let frame = reader.next_frame().await;
        assert!(
            frame.contains("data: {\"_id\":\"") && frame.contains("첫째 줄\\n둘째 줄 🙂"),
            "{frame}"
        );
        expect_post(reader, &expected).await;
    }
    assert_eq!(show(direct.body_so_far()), show(proxied.body_so_far()));
}

#[tokio::test]
async fn one_instance_alone_is_named_by_its_port_or_instance() {
    let mongo = TestMongo::start().await.expect("a MongoDB for the test");
    let uri = mongo.uri_for_db();
    let lesson = Lesson::start_with("lesson08", &[("MONGODB_URI", &uri)]).await;
    let stats = lesson.get_json("/stats").await;
    assert_eq!(stats["instance"], lesson.addr().port().to_string());
    let response = lesson.get("/").await;
    assert_eq!(
        response.header("x-instance"),
        Some(lesson.addr().port().to_string().as_str())
    );
    let named = Lesson::start_with("lesson08", &[("MONGODB_URI", &uri), ("INSTANCE", "b")]).await;
    assert_eq!(named.get_json("/stats").await["instance"], "b");
}
