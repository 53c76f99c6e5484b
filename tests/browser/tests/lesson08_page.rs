//! lesson08's page in a real headless Chromium, behind a real nginx:
//!
//! - HTTP/1.1 allows six connections per origin: `?streams=8` straight to an instance opens six
//!   event streams and leaves two waiting; through nginx over HTTP/2 (TLS) all eight open, on
//!   one connection;
//! - failover: the instance serving the page is killed; the browser reconnects (with
//!   `Last-Event-ID`) through nginx to another instance and the page has every post, once.
//!
//! Chromium runs with `--ignore-certificate-errors` here only: nginx's certificate is
//! self-signed, made at start. Without Chromium or nginx this prints SKIPPED; with `CI=true`
//! either one missing is a failure.

use std::process::ExitCode;
use std::time::Duration;

use browser::{run_scenarios_with, Browser, DEADLINE};
use harness::nginx::{self, Nginx, RunDir};
use harness::Lesson;
use mongodb::bson::{doc, Document};
use mongodb::Collection;
use practice_mongo::test_support::TestMongo;

const OPEN: &str = "Number(document.getElementById('open-count').textContent)";
const RECEIVED: &str = "JSON.stringify(window.received)";

/// MongoDB, three lesson08 instances and nginx (HTTP/1.1 and HTTP/2 over TLS) in front.
struct Cluster {
    instances: Vec<Lesson>,
    _nginx: Nginx,
    https_port: u16,
    posts: Collection<Document>,
    _mongo: TestMongo,
}

/// `None` when nginx is missing (after printing SKIPPED; a panic under CI=true).
async fn start_cluster(test: &str) -> Result<Option<Cluster>, String> {
    let Some(program) = nginx::program_or_skip(lesson08::nginx::find(), test) else {
        return Ok(None);
    };
    let mongo = TestMongo::start()
        .await
        .map_err(|e| format!("MongoDB: {e}"))?;
    let uri = mongo.uri_for_db();
    let mut instances = Vec::new();
    for name in ["a", "b", "c"] {
        let env = [("MONGODB_URI", uri.as_str()), ("INSTANCE", name)];
        instances.push(Lesson::start_with("lesson08", &env).await);
    }
    let dir = RunDir::new();
    let free_port = || lesson08::nginx::free_port().map_err(|e| format!("a free port: {e}"));
    let (http_port, https_port) = (free_port()?, free_port()?);
    let settings = lesson08::nginx::Settings {
        dir: dir.path.clone(),
        instances: instances.iter().map(Lesson::addr).collect(),
        http_port,
        https_port,
        read_timeout: Duration::from_secs(60),
    };
    let config = settings.fill(lesson08::nginx::TEMPLATE)?;
    let child = lesson08::nginx::start(&program, &settings, &config, harness::DEADLINE).await?;
    let nginx = Nginx::new(child, dir);
    let client = mongodb::Client::with_uri_str(&uri)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Some(Cluster {
        instances,
        _nginx: nginx,
        https_port,
        posts: client.database(mongo.db_name()).collection("post"),
        _mongo: mongo,
    }))
}

async fn insert(posts: &Collection<Document>, title: &str) -> Result<(), String> {
    posts
        .insert_one(doc! { "title": title })
        .await
        .map(|_| ())
        .map_err(|e| format!("insert {title}: {e}"))
}

/// Fails unless `expression` stays `want` for `window` (checked every 50 ms): proving that
/// something does NOT happen needs a stretch of time in which it could have.
async fn stays(
    page: &browser::Page,
    expression: &str,
    want: i64,
    window: Duration,
) -> Result<(), String> {
    let started = tokio::time::Instant::now();
    while started.elapsed() < window {
        let got = page.eval(expression).await?;
        if got != want {
            return Err(format!(
                "`{expression}` became {got}, expected it to stay {want}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

async fn six_open_over_http1_and_eight_over_http2(browser: &Browser) -> Result<(), String> {
    let Some(cluster) = start_cluster("six_open_over_http1_and_eight_over_http2").await? else {
        return Ok(());
    };
    // Straight to one instance: HTTP/1.1, six connections per origin.
    let direct = browser
        .open(&format!(
            "http://{}/?streams=8",
            cluster.instances[0].addr()
        ))
        .await?;
    direct.wait_for(&format!("{OPEN} === 6"), DEADLINE).await?;
    stays(&direct, OPEN, 6, Duration::from_secs(1)).await?;
    let protocol = direct
        .eval("document.getElementById('protocol').textContent")
        .await?;
    if protocol != "http/1.1" {
        return Err(format!(
            "the direct page came over {protocol}, expected http/1.1"
        ));
    }

    // Through nginx: HTTP/2 over TLS, one connection, eight streams.
    let proxied = browser
        .open(&format!(
            "https://127.0.0.1:{}/?streams=8",
            cluster.https_port
        ))
        .await?;
    proxied.wait_for(&format!("{OPEN} === 8"), DEADLINE).await?;
    let protocol = proxied
        .eval("document.getElementById('protocol').textContent")
        .await?;
    if protocol != "h2" {
        return Err(format!(
            "the page through nginx came over {protocol}, expected h2"
        ));
    }
    // The two waiting streams of the first page are still waiting: the limit is per origin.
    stays(&direct, OPEN, 6, Duration::from_millis(200)).await
}

async fn the_page_loses_nothing_when_its_instance_dies(browser: &Browser) -> Result<(), String> {
    let Some(mut cluster) = start_cluster("the_page_loses_nothing_when_its_instance_dies").await?
    else {
        return Ok(());
    };
    let page = browser
        .open(&format!(
            "https://127.0.0.1:{}/?streams=1",
            cluster.https_port
        ))
        .await?;
    page.wait_for(&format!("{OPEN} === 1"), DEADLINE).await?;
    for n in 1..=3 {
        insert(&cluster.posts, &format!("글 {n}")).await?;
    }
    page.wait_for(
        &format!("{RECEIVED} === '[\"글 1\",\"글 2\",\"글 3\"]'"),
        DEADLINE,
    )
    .await?;

    // Which instance serves the page? The one with a reader.
    let mut serving = None;
    for (index, instance) in cluster.instances.iter().enumerate() {
        if instance.get_json("/stats").await["sse_clients"] == 1 {
            serving = Some(index);
        }
    }
    let serving = serving.ok_or("no instance has the page's stream")?;
    cluster.instances[serving].send_signal("KILL");
    cluster.instances[serving].wait_for_exit().await;
    for n in 4..=6 {
        insert(&cluster.posts, &format!("글 {n}")).await?;
    }
    // The browser reconnects after `retry: 3000`, with Last-Event-ID, to another instance.
    page.wait_for(
        &format!("{RECEIVED} === '[\"글 1\",\"글 2\",\"글 3\",\"글 4\",\"글 5\",\"글 6\"]'"),
        DEADLINE,
    )
    .await?;
    insert(&cluster.posts, "글 7").await?;
    page.wait_for(
        &format!(
            "{RECEIVED} === '[\"글 1\",\"글 2\",\"글 3\",\"글 4\",\"글 5\",\"글 6\",\"글 7\"]'"
        ),
        DEADLINE,
    )
    .await?;
    Ok(())
}

fn main() -> ExitCode {
    run_scenarios_with(
        "lesson08's page through nginx",
        // nginx's certificate is self-signed, made at start.
        &["--ignore-certificate-errors"],
        &[
            ("six_open_over_http1_and_eight_over_http2", |b| {
                Box::pin(six_open_over_http1_and_eight_over_http2(b))
            }),
            ("the_page_loses_nothing_when_its_instance_dies", |b| {
                Box::pin(the_page_loses_nothing_when_its_instance_dies(b))
            }),
        ],
    )
}
