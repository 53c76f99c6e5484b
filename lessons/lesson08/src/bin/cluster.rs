//! `cargo run -p lesson08 --bin cluster`: everything lesson08 talks about, with one command.
//!
//! 1. MongoDB: `MONGODB_URI` if set, else the practice server, in this process;
//! 2. three instances (this same program run as `cluster instance`, so each is its own process
//!    with its own change stream, and you can kill one: `kill -9 <pid>`);
//! 3. nginx in front of them, as a child process, with the shipped `nginx.conf` filled in, in a
//!    temporary directory, with a self-signed certificate for HTTP/2;
//! 4. the URLs; Ctrl-C stops all of it.
//!
//! Without nginx it says how to install it and runs the three instances anyway.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use lesson08::nginx;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const NAMES: [&str; 3] = ["a", "b", "c"];
/// nginx's ports, unless `HTTP_PORT` / `HTTPS_PORT` say otherwise.
const HTTP_PORT: u16 = 8080;
const HTTPS_PORT: u16 = 8443;

#[tokio::main]
async fn main() {
    // `cluster instance`: one of the three (the parent sets PORT=0, INSTANCE, MONGODB_URI).
    if std::env::args().nth(1).as_deref() == Some("instance") {
        return lesson08::run().await;
    }
    startup::init_logs();
    let http_port =
        startup::settings::whole_number("HTTP_PORT", 1..=65535, HTTP_PORT.into()) as u16;
    let https_port =
        startup::settings::whole_number("HTTPS_PORT", 1..=65535, HTTPS_PORT.into()) as u16;

    // 1. MongoDB. The practice server lives as long as `_practice`.
    let (uri, _practice) = match std::env::var("MONGODB_URI") {
        Ok(uri) => (uri, None),
        Err(_) => match practice_mongo::PracticeServer::start(Default::default()).await {
            Ok(server) => (server.uri(), Some(server)),
            Err(err) => startup::exit(1, &format!("cannot start the practice MongoDB: {err}")),
        },
    };
    println!("MongoDB:    {uri}");

    // 2. Three instances, each a process of its own.
    let mut children = Vec::new();
    let mut addrs = Vec::new();
    for name in NAMES {
        let (child, addr) = start_instance(name, &uri).await;
        println!(
            "instance {name}: http://{addr}   (pid {}: `kill -9` it and watch the readers move)",
            child.id().unwrap_or(0)
        );
        children.push(child);
        addrs.push(addr);
    }

    // 3. nginx in front, if there is one.
    let dir = std::env::temp_dir().join(format!("lesson08-cluster-{}", std::process::id()));
    // Where to write a post: through nginx, or to instance a when there is no nginx.
    let mut front = format!("http://{}", addrs[0]);
    match nginx::find() {
        None => println!(
            "\n{}\nThe three instances run without it.",
            nginx::INSTALL_HINT
        ),
        Some(program) => match start_nginx(&program, &dir, addrs, http_port, https_port).await {
            Ok(child) => {
                children.push(child);
                front = format!("http://127.0.0.1:{http_port}");
                println!("nginx:      http://127.0.0.1:{http_port}/          (HTTP/1.1)");
                println!(
                    "            https://127.0.0.1:{https_port}/?streams=8  (HTTP/2; the certificate is \
                     self-signed: accept the browser's warning)"
                );
            }
            Err(why) => {
                eprintln!("error: nginx did not start: {why}\nThe three instances run without it.")
            }
        },
    }
    println!(
        "write a post:  curl -X POST {front}/posts -H 'Content-Type: application/json' -d '{{\"title\":\"hello\"}}'"
    );
    println!("Ctrl-C stops everything.");

    // 4. Until Ctrl-C, or until one of the children stops by itself.
    let any_exit =
        futures::future::select_all(children.iter_mut().map(|child| Box::pin(child.wait())));
    tokio::select! {
        _ = stop_signal() => {}
        (status, index, _) = any_exit => eprintln!("child {index} exited ({status:?}); stopping the rest"),
    }
    for child in &mut children {
        let _ = child.kill().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Starts `cluster instance` with `PORT=0` and waits for its `listening on` line.
async fn start_instance(name: &str, uri: &str) -> (Child, SocketAddr) {
    let program = std::env::current_exe().unwrap_or_else(|err| startup::exit(1, &err.to_string()));
    let mut child = Command::new(program)
        .arg("instance")
        .env("PORT", "0")
        .env("INSTANCE", name)
        .env("MONGODB_URI", uri)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|err| startup::exit(1, &format!("cannot start instance {name}: {err}")));
    let Some(stdout) = child.stdout.take() else {
        startup::exit(1, "the instance's stdout is not piped");
    };
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(15), lines.next_line()).await;
    let addr = match first {
        Ok(Ok(Some(line))) => line
            .strip_prefix("listening on http://")
            .and_then(|addr| addr.parse::<SocketAddr>().ok()),
        _ => None,
    };
    let Some(addr) = addr else {
        startup::exit(
            1,
            &format!("instance {name} did not start (see its messages above)"),
        );
    };
    // Keep reading its stdout, so that it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, addr)
}

/// Fills nginx.conf and starts nginx in `dir` (`nginx::start`: at most 10 s until it answers).
async fn start_nginx(
    program: &Path,
    dir: &Path,
    instances: Vec<SocketAddr>,
    http_port: u16,
    https_port: u16,
) -> Result<Child, String> {
    let settings = nginx::Settings {
        dir: dir.to_path_buf(),
        instances,
        http_port,
        https_port,
        read_timeout: Duration::from_secs(60),
    };
    let config = settings.fill(nginx::TEMPLATE)?;
    nginx::start(program, &settings, &config, Duration::from_secs(10)).await
}

/// Ctrl-C, or SIGTERM (what `kill` sends) on Unix: either way the children are stopped. A
/// process killed with SIGKILL cannot stop anything; its children then keep running.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut sigterm) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = sigterm.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
