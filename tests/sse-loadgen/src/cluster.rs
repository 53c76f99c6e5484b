//! `cluster` (lesson08): N readers through nginx spread over three lesson08 instances, then one
//! post, trigger-to-arrival latency; with `--direct`, the same N readers on one lesson08 instance
//! without nginx, for comparison. nginx runs with lesson08's shipped `nginx.conf`, filled in as
//! `cargo run -p lesson08 --bin cluster` fills it.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::process::Child;
use tokio::sync::watch;

use crate::client::{self, Shared};
use crate::process::Server;
use crate::steps;

pub async fn run(clients: usize, direct: bool) -> Result<(), String> {
    let (_mongo, uri) = steps::start_mongo().await?;
    let names: &[&str] = if direct { &["a"] } else { &["a", "b", "c"] };
    let mut instances = Vec::new();
    for name in names {
        let env = [
            ("PORT", "0"),
            ("MONGODB_URI", uri.as_str()),
            ("INSTANCE", name),
        ];
        instances.push(Server::start("lesson08", &[], &env, "listening on").await?);
    }
    let addrs = instances
        .iter()
        .map(Server::http_addr)
        .collect::<Result<Vec<_>, _>>()?;
    let dir = std::env::temp_dir().join(format!("sse-loadgen-nginx-{}", std::process::id()));
    let (_nginx, target) = if direct {
        (None, addrs[0])
    } else {
        let (nginx, port) = start_nginx(&dir, &addrs).await?;
        (Some(nginx), SocketAddr::from(([127, 0, 0, 1], port)))
    };

    let shared = Shared::new(1);
    let (stop_tx, stop) = watch::channel(false);
    let mut readers = steps::connect_readers(target, clients, &shared, &stop).await?;
    // Every reader has joined its instance's feed (asked of each instance, not through nginx).
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut spread = Vec::new();
    loop {
        spread.clear();
        for addr in &addrs {
            spread.push(
                client::stats(*addr).await?["sse_clients"]
                    .as_u64()
                    .unwrap_or(0),
            );
        }
        if spread.iter().sum::<u64>() == clients as u64 {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("readers per instance stayed at {spread:?}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    steps::post(target, &shared, 0).await?;
    steps::wait_delivered(&shared, 0..1, clients, Duration::from_secs(30)).await;
    let _ = stop_tx.send(true);
    let (mut single, mut failed) = (Vec::new(), 0);
    while let Some(done) = readers.join_next().await {
        match done {
            Ok(Ok(latencies)) => single.extend(latencies.into_iter().map(|(_, micros)| micros)),
            _ => failed += 1,
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let how = if direct {
        "one lesson08 instance, directly"
    } else {
        "three lesson08 instances through nginx"
    };
    let result = json!({
        "mode": "cluster", "lesson": "lesson08", "direct": direct, "clients": clients,
        "readers_per_instance": spread, "failed_readers": failed,
        "single": { "delivered": single.len(), "expected": clients,
                    "latency": steps::percentiles(single.clone()) },
        "frames": shared.frames.load(Ordering::SeqCst),
    });
    println!("cluster: {clients} readers, {how} (readers per instance {spread:?})");
    println!(
        "  one post:        delivered {}/{}  latency {}",
        single.len(),
        clients,
        result["single"]["latency"]
    );
    println!("{result}");
    Ok(())
}

/// nginx with lesson08's config in `dir`, in front of `instances`; returns it and its HTTP port.
async fn start_nginx(
    dir: &std::path::Path,
    instances: &[SocketAddr],
) -> Result<(Child, u16), String> {
    let program = lesson08::nginx::find().ok_or(lesson08::nginx::INSTALL_HINT)?;
    let free = || lesson08::nginx::free_port().map_err(|e| e.to_string());
    let settings = lesson08::nginx::Settings {
        dir: dir.to_path_buf(),
        instances: instances.to_vec(),
        http_port: free()?,
        https_port: free()?,
        read_timeout: Duration::from_secs(60),
    };
    let config = settings.fill(lesson08::nginx::TEMPLATE)?;
    let nginx =
        lesson08::nginx::start(&program, &settings, &config, Duration::from_secs(10)).await?;
    Ok((nginx, settings.http_port))
}
