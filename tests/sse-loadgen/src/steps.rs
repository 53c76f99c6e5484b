//! The steps the modes share: starting lesson05 on practice-mongo, opening many readers,
//! waiting for a counter of the server's `/stats`, writing a numbered post, waiting until every
//! reader has it, and the latency percentiles.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::{oneshot, watch, Semaphore};
use tokio::task::JoinSet;

use crate::client::{self, Shared};
use crate::process::Server;

/// How many connections are being opened at once (the listen backlog is finite).
const CONNECTING_AT_ONCE: usize = 200;

/// The practice MongoDB and lesson05 on it.
pub async fn start_lesson05() -> Result<(Server, Server), String> {
    let (mongo, uri) = start_mongo().await?;
    let lesson = Server::start(
        "lesson05",
        &[],
        &[("PORT", "0"), ("MONGODB_URI", &uri)],
        "listening on",
    )
    .await?;
    Ok((mongo, lesson))
}

/// The practice MongoDB, and the URI of a database `bench` on it.
pub async fn start_mongo() -> Result<(Server, String), String> {
    let mongo = Server::start(
        "practice-mongo",
        &["--port", "0", "--history-limit", "1000"],
        &[],
        "MONGODB_URI=",
    )
    .await?;
    let uri = mongo
        .announced
        .trim_start_matches("MONGODB_URI=")
        .replace("/yelp-camp?", "/bench?");
    Ok((mongo, uri))
}

/// Opens `count` readers, `CONNECTING_AT_ONCE` at a time, with a progress line; waits for all heads.
pub async fn connect_readers(
    addr: SocketAddr,
    count: usize,
    shared: &Arc<Shared>,
    stop: &watch::Receiver<bool>,
) -> Result<JoinSet<std::io::Result<Vec<(u32, u32)>>>, String> {
    let gate = Arc::new(Semaphore::new(CONNECTING_AT_ONCE));
    let mut readers = JoinSet::new();
    let started = Instant::now();
    for _ in 0..count {
        let permit = Arc::clone(&gate)
            .acquire_owned()
            .await
            .map_err(|e| e.to_string())?;
        let (for_reader, stop) = (Arc::clone(shared), stop.clone());
        readers.spawn(async move {
            let (head_tx, head_rx) = oneshot::channel();
            let reading = client::reader(addr, for_reader, stop, head_tx);
            tokio::pin!(reading);
            // The connecting slot is given back once this reader's head has arrived.
            tokio::select! {
                done = &mut reading => return done,
                _ = head_rx => drop(permit),
            }
            reading.await
        });
        let connected = shared.connected.load(Ordering::SeqCst);
        if connected.is_multiple_of(500) {
            eprint!("\rconnecting {connected}/{count}");
        }
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while shared.connected.load(Ordering::SeqCst) < count {
        if Instant::now() > deadline {
            return Err(format!(
                "only {} of {count} readers connected",
                shared.connected.load(Ordering::SeqCst)
            ));
        }
        eprint!(
            "\rconnecting {}/{count}",
            shared.connected.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "\rconnected {count}/{count} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(readers)
}

/// Polls `/stats` until `field` equals `value` (a counter on another process: polling with a deadline).
pub async fn wait_for_stat(addr: SocketAddr, field: &str, value: u64) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let stats = client::stats(addr).await?;
        if stats[field] == value {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "/stats {field} stayed at {} (wanted {value})",
                stats[field]
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// p50, p99 and max of latencies in µs, as milliseconds.
pub fn percentiles(mut micros: Vec<u32>) -> serde_json::Value {
    if micros.is_empty() {
        return json!({ "p50_ms": null, "p99_ms": null, "max_ms": null });
    }
    micros.sort_unstable();
    let at = |q: f64| micros[((micros.len() - 1) as f64 * q).round() as usize] as f64 / 1000.0;
    json!({ "p50_ms": at(0.50), "p99_ms": at(0.99), "max_ms": at(1.0) })
}

/// Waits until every reader has event `seq`, or the deadline passes.
pub async fn wait_delivered(
    shared: &Shared,
    seqs: std::ops::Range<usize>,
    clients: usize,
    within: Duration,
) {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if seqs
            .clone()
            .all(|s| shared.delivered[s].load(Ordering::SeqCst) >= clients)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub async fn post(addr: SocketAddr, shared: &Shared, seq: usize) -> Result<(), String> {
    shared.mark_triggered(seq);
    let (status, body) = client::request(
        addr,
        "POST",
        "/posts",
        &format!(r#"{{"title":"bench {seq}"}}"#),
    )
    .await?;
    if status != 201 {
        return Err(format!("POST /posts answered {status}: {body}"));
    }
    Ok(())
}
