//! The binary a learner runs: `cargo run -p practice-mongo`. Started here as a process, the
//! very executable cargo builds for that command.

mod common;

use std::process::Stdio;

use bson::doc;
use common::{BoxError, TestResult, DEADLINE};
use mongodb::Client;
use practice_mongo::{Config, PracticeServer};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

const BIN: &str = env!("CARGO_BIN_EXE_practice-mongo");

/// Runs the binary as `command` says, expecting it to fail: returns its stderr and stdout.
async fn run_expecting_failure(command: &mut Command) -> Result<(String, Vec<u8>), BoxError> {
    let output = tokio::time::timeout(
        DEADLINE,
        command
            .stdin(Stdio::null())
            .kill_on_drop(true) // if it runs on past the deadline instead of failing
            .output(),
    )
    .await??;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    Ok((stderr, output.stdout))
}

/// Starts the binary on a free port (`--port 0`), its stdout piped to be read line by line.
fn spawn_on_a_free_port() -> std::io::Result<(Child, Lines<BufReader<ChildStdout>>)> {
    let mut child = Command::new(BIN)
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child.stdout.take().expect("piped stdout");
    Ok((child, BufReader::new(stdout).lines()))
}

/// Reads stdout until a line starts with `prefix`, within DEADLINE; returns every line read,
/// that one last.
async fn read_through_line_starting(
    lines: &mut Lines<BufReader<ChildStdout>>,
    prefix: &str,
) -> Result<String, BoxError> {
    let mut read = String::new();
    tokio::time::timeout(DEADLINE, async {
        while let Some(line) = lines.next_line().await? {
            read.push_str(&line);
            read.push('\n');
            if line.starts_with(prefix) {
                return Ok(());
            }
        }
        Err(std::io::Error::other(format!(
            "no line starting {prefix:?}"
        )))
    })
    .await??;
    Ok(read)
}

#[tokio::test]
async fn binary_prints_the_uri_serves_it_and_says_it_is_not_a_database() -> TestResult {
    let (mut child, mut lines) = spawn_on_a_free_port()?;
    let banner = read_through_line_starting(&mut lines, "MONGODB_URI=").await?;
    let uri = banner
        .lines()
        .last()
        .and_then(|line| line.strip_prefix("MONGODB_URI="))
        .unwrap_or_default();
    assert!(banner.contains("not a database"), "{banner}");
    assert!(uri.starts_with("mongodb://127.0.0.1:"), "{uri}");
    assert!(uri.ends_with("/yelp-camp?directConnection=true"), "{uri}");

    let client = Client::with_uri_str(&uri).await?;
    let db = client.default_database().expect("database in the URI");
    assert_eq!(db.name(), "yelp-camp");
    db.collection("post")
        .insert_one(doc! { "title": "from the binary test" })
        .await?;
    assert_eq!(
        db.collection::<bson::Document>("post")
            .count_documents(doc! {})
            .await?,
        1
    );
    client.shutdown().await;

    child.kill().await?;
    Ok(())
}

#[tokio::test]
async fn binary_on_a_busy_port_says_so_and_fails() -> TestResult {
    let busy = PracticeServer::start(Config::default()).await?;
    let (stderr, stdout) =
        run_expecting_failure(Command::new(BIN).args(["--port", &busy.port().to_string()])).await?;
    assert!(stderr.contains("already in use"), "{stderr}");
    assert!(stdout.is_empty(), "nothing to copy on failure");
    Ok(())
}

/// `PORT` works like `--port` (the lessons read `PORT` too), and `--port` wins over it.
#[tokio::test]
async fn binary_reads_port_and_the_flag_wins() -> TestResult {
    let busy = PracticeServer::start(Config::default()).await?;
    let busy_port = busy.port().to_string();
    // PORT alone: it tries that port, which is taken.
    let (stderr, _) = run_expecting_failure(Command::new(BIN).env("PORT", &busy_port)).await?;
    assert!(
        stderr.contains(&format!("127.0.0.1:{busy_port} is already in use")),
        "{stderr}"
    );

    // PORT and --port: the flag's port is used.
    let mut child = Command::new(BIN)
        .env("PORT", &busy_port)
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let uri = tokio::time::timeout(DEADLINE, async {
        while let Some(line) = lines.next_line().await? {
            if let Some(uri) = line.strip_prefix("MONGODB_URI=") {
                return Ok::<_, std::io::Error>(uri.to_owned());
            }
        }
        Err(std::io::Error::other("no MONGODB_URI line"))
    })
    .await??;
    assert!(!uri.contains(&format!(":{busy_port}/")), "{uri}");
    child.kill().await?;

    // A PORT that is not a port: a clear error, not a silent default.
    let (stderr, _) = run_expecting_failure(Command::new(BIN).env("PORT", "eighty")).await?;
    assert!(
        stderr.contains("PORT=\"eighty\" is not a port number"),
        "{stderr}"
    );
    Ok(())
}

/// Ctrl-C (SIGINT) stops it cleanly with exit status 0.
#[cfg(unix)]
#[tokio::test]
async fn binary_stops_cleanly_on_ctrl_c() -> TestResult {
    let (mut child, mut lines) = spawn_on_a_free_port()?;
    // Wait until it is up (the signal handler is installed right after the banner).
    read_through_line_starting(&mut lines, "Press Ctrl-C").await?;
    let pid = child.id().expect("running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()?;
    assert!(status.success());
    let exit = tokio::time::timeout(DEADLINE, child.wait()).await??;
    assert!(exit.success(), "{exit:?}");
    Ok(())
}
