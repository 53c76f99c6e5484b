//! `sse-loadgen`: measures the lessons like services.
//!
//!   cargo build --release -p lesson03 -p lesson05 -p practice-mongo
//!   cargo run --release -p sse-loadgen -- fanout --clients 10000
//!   cargo run --release -p sse-loadgen -- ticks --clients 10000
//!   cargo run --release -p sse-loadgen -- churn --cycles 10000
//!   cargo build --release -p lesson08 -p practice-mongo    (and nginx installed)
//!   cargo run --release -p sse-loadgen -- cluster --clients 3000 [--direct]
//!
//! It starts the servers itself (release builds next to this tool), so it knows their pids and
//! reads their memory and CPU time from /proc. It raises its open-file limit to the hard limit
//! (the servers inherit it). Each run prints a summary and one JSON line, for comparing runs.
//! Both are Linux's: on other systems it compiles, and says at once that it runs on Linux only.

mod client;
mod cluster;
mod process;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use serde_json::json;
use tokio::sync::{oneshot, watch, Semaphore};
use tokio::task::JoinSet;

use client::Shared;
use process::Server;

#[derive(Parser)]
#[command(
    name = "sse-loadgen",
    about = "Many SSE readers against a lesson: latency, memory, CPU"
)]
struct Args {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand)]
enum Mode {
    /// lesson05: N readers; one post, then a steady rate of posts; trigger-to-arrival latency.
    Fanout {
        #[arg(long, default_value_t = 10_000)]
        clients: usize,
        /// Posts per second in the steady phase.
        #[arg(long, default_value_t = 10)]
        rate: u32,
        /// Length of the steady phase, in seconds.
        #[arg(long, default_value_t = 10)]
        seconds: u32,
    },
    /// lesson03: N readers at one tick a second; the server's CPU use.
    Ticks {
        #[arg(long, default_value_t = 10_000)]
        clients: usize,
        /// How long to measure CPU, in seconds.
        #[arg(long, default_value_t = 20)]
        seconds: u32,
    },
    /// lesson05: two rounds of M connect/disconnect cycles; then no stream may be open, and the
    /// second round must not grow RSS.
    Churn {
        #[arg(long, default_value_t = 10_000)]
        cycles: usize,
        /// Cycles in flight at once.
        #[arg(long, default_value_t = 100)]
        concurrency: usize,
    },
    /// lesson08: N readers through nginx over three instances (or `--direct`: one instance,
    /// no nginx); one post; trigger-to-arrival latency.
    Cluster {
        #[arg(long, default_value_t = 3_000)]
        clients: usize,
        #[arg(long)]
        direct: bool,
    },
}

/// How many connections are being opened at once (the listen backlog is finite).
const CONNECTING_AT_ONCE: usize = 200;

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let result = async {
        process::check_platform()?;
        let limit = process::raise_open_file_limit()?;
        eprintln!("open-file limit raised to {limit}");
        match args.mode {
            Mode::Fanout {
                clients,
                rate,
                seconds,
            } => fanout(clients, rate, seconds).await,
            Mode::Ticks { clients, seconds } => ticks(clients, seconds).await,
            Mode::Churn {
                cycles,
                concurrency,
            } => churn(cycles, concurrency).await,
            Mode::Cluster { clients, direct } => cluster::run(clients, direct).await,
        }
    };
    if let Err(err) = result.await {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}

/// The practice MongoDB and lesson05 on it.
async fn start_lesson05() -> Result<(Server, Server), String> {
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
    let lesson = Server::start(
        "lesson05",
        &[],
        &[("PORT", "0"), ("MONGODB_URI", &uri)],
        "listening on",
    )
    .await?;
    Ok((mongo, lesson))
}

/// Opens `count` readers, `CONNECTING_AT_ONCE` at a time, with a progress line; waits for all heads.
async fn connect_readers(
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
async fn wait_for_stat(addr: SocketAddr, field: &str, value: u64) -> Result<(), String> {
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
fn percentiles(mut micros: Vec<u32>) -> serde_json::Value {
    if micros.is_empty() {
        return json!({ "p50_ms": null, "p99_ms": null, "max_ms": null });
    }
    micros.sort_unstable();
    let at = |q: f64| micros[((micros.len() - 1) as f64 * q).round() as usize] as f64 / 1000.0;
    json!({ "p50_ms": at(0.50), "p99_ms": at(0.99), "max_ms": at(1.0) })
}

/// Waits until every reader has event `seq`, or the deadline passes.
async fn wait_delivered(
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

async fn post(addr: SocketAddr, shared: &Shared, seq: usize) -> Result<(), String> {
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

async fn fanout(clients: usize, rate: u32, seconds: u32) -> Result<(), String> {
    let (_mongo, lesson) = start_lesson05().await?;
    let addr = lesson.http_addr()?;
    let steady_events = (rate * seconds) as usize;
    let shared = Shared::new(1 + steady_events);
    let (stop_tx, stop) = watch::channel(false);
    let baseline = lesson.rss_kib()?;

    let mut readers = connect_readers(addr, clients, &shared, &stop).await?;
    wait_for_stat(addr, "sse_clients", clients as u64).await?;
    let idle = lesson.rss_kib()?;

    // One post to every reader.
    post(addr, &shared, 0).await?;
    wait_delivered(&shared, 0..1, clients, Duration::from_secs(30)).await;

    // A steady rate.
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate)));
    for seq in 1..=steady_events {
        tick.tick().await;
        post(addr, &shared, seq).await?;
    }
    wait_delivered(
        &shared,
        1..1 + steady_events,
        clients,
        Duration::from_secs(30),
    )
    .await;
    let loaded = lesson.rss_kib()?;

    let _ = stop_tx.send(true);
    let (mut single, mut steady, mut failed) = (Vec::new(), Vec::new(), 0);
    while let Some(done) = readers.join_next().await {
        match done {
            Ok(Ok(latencies)) => {
                for (seq, micros) in latencies {
                    if seq == 0 {
                        single.push(micros)
                    } else {
                        steady.push(micros)
                    }
                }
            }
            _ => failed += 1,
        }
    }
    wait_for_stat(addr, "sse_clients", 0).await?;
    let after = lesson.rss_kib()?;

    let result = json!({
        "mode": "fanout", "lesson": "lesson05", "clients": clients, "failed_readers": failed,
        "single": { "delivered": single.len(), "expected": clients, "latency": percentiles(single.clone()) },
        "steady": { "rate_per_s": rate, "events": steady_events, "delivered": steady.len(),
                    "expected": clients * steady_events, "latency": percentiles(steady.clone()) },
        "rss_kib": { "baseline": baseline, "idle_clients": idle, "after_load": loaded, "after_leave": after },
        "rss_per_idle_reader_kib": (idle.saturating_sub(baseline)) as f64 / clients as f64,
    });
    println!("fanout: {clients} readers of lesson05");
    println!(
        "  one post:        delivered {}/{}  latency {}",
        single.len(),
        clients,
        result["single"]["latency"]
    );
    println!(
        "  {rate}/s for {seconds}s:    delivered {}/{}  latency {}",
        steady.len(),
        clients * steady_events,
        result["steady"]["latency"]
    );
    println!("  server RSS KiB:  baseline {baseline}, {clients} idle readers {idle} ({:.1} KiB each), after load {loaded}, after all left {after}", result["rss_per_idle_reader_kib"].as_f64().unwrap_or(0.0));
    println!("{result}");
    Ok(())
}

async fn ticks(clients: usize, seconds: u32) -> Result<(), String> {
    let lesson = Server::start(
        "lesson03",
        &[],
        &[("PORT", "0"), ("TICK_MS", "1000")],
        "listening on",
    )
    .await?;
    let addr = lesson.http_addr()?;
    let shared = Shared::new(0);
    let (stop_tx, stop) = watch::channel(false);
    let mut readers = connect_readers(addr, clients, &shared, &stop).await?;
    wait_for_stat(addr, "open_streams", clients as u64).await?;

    let (cpu_before, frames_before, started) = (
        lesson.cpu_times()?,
        shared.frames.load(Ordering::SeqCst),
        Instant::now(),
    );
    // The measuring window: CPU time is only meaningful over a stretch of wall time.
    tokio::time::sleep(Duration::from_secs(u64::from(seconds))).await;
    let cpu_after = lesson.cpu_times()?;
    let (user, system) = (cpu_after.0 - cpu_before.0, cpu_after.1 - cpu_before.1);
    let cpu = user + system;
    let wall = started.elapsed();
    let frames = shared.frames.load(Ordering::SeqCst) - frames_before;
    let rss = lesson.rss_kib()?;
    let _ = stop_tx.send(true);
    while readers.join_next().await.is_some() {}

    let core_percent = cpu.as_secs_f64() / wall.as_secs_f64() * 100.0;
    let result = json!({
        "mode": "ticks", "lesson": "lesson03", "clients": clients, "seconds": wall.as_secs_f64(),
        "server_cpu_percent_of_one_core": core_percent,
        "server_user_percent": user.as_secs_f64() / wall.as_secs_f64() * 100.0,
        "server_system_percent": system.as_secs_f64() / wall.as_secs_f64() * 100.0,
        "frames": frames,
        "frames_expected_about": clients as f64 * wall.as_secs_f64(), "rss_kib": rss,
    });
    println!(
        "ticks: {clients} readers of lesson03, one tick a second, {:.1} s",
        wall.as_secs_f64()
    );
    println!("  server CPU: {core_percent:.1}% of one core; frames received {frames} (about {:.0} expected); RSS {rss} KiB", clients as f64 * wall.as_secs_f64());
    println!("{result}");
    Ok(())
}

async fn churn(cycles: usize, concurrency: usize) -> Result<(), String> {
    let (_mongo, lesson) = start_lesson05().await?;
    let addr = lesson.http_addr()?;
    let shared = Shared::new(0);
    let cycle = |shared: Arc<Shared>| async move {
        let (stop_tx, stop) = watch::channel(false);
        let (head_tx, head_rx) = oneshot::channel();
        let reading = tokio::spawn(client::reader(addr, shared, stop, head_tx));
        // Connected once the head has arrived; then hang up.
        let _ = tokio::time::timeout(Duration::from_secs(30), head_rx).await;
        let _ = stop_tx.send(true);
        reading
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())
            .map(|_| ())
    };
    // Warm up (allocator arenas, first connections), then take the baseline.
    let run = |count: usize| {
        let shared = Arc::clone(&shared);
        async move {
            let gate = Arc::new(Semaphore::new(concurrency));
            let mut set = JoinSet::new();
            for _ in 0..count {
                let permit = Arc::clone(&gate)
                    .acquire_owned()
                    .await
                    .map_err(|e| e.to_string())?;
                let one = cycle(Arc::clone(&shared));
                set.spawn(async move {
                    let done = one.await;
                    drop(permit);
                    done
                });
            }
            let mut failed = 0;
            while let Some(done) = set.join_next().await {
                if !matches!(done, Ok(Ok(()))) {
                    failed += 1;
                }
            }
            Ok::<usize, String>(failed)
        }
    };
    // A leak grows with every cycle; the allocator's high-water mark for `concurrency`
    // connections does not. So: one round of `cycles` to reach that mark (the warm-up), then the
    // same round again, which must not add to RSS. The growth from the cold start is shown too.
    let cold = lesson.rss_kib()?;
    let warm_up_failed = run(cycles).await?;
    wait_for_stat(addr, "sse_clients", 0).await?;
    let baseline = lesson.rss_kib()?;
    let started = Instant::now();
    let failed = warm_up_failed + run(cycles).await?;
    let seconds = started.elapsed().as_secs_f64();
    wait_for_stat(addr, "sse_clients", 0).await?;
    let open_after = client::stats(addr).await?["sse_clients"].clone();
    let after = lesson.rss_kib()?;
    let percent = |from: u64| (after as f64 - from as f64) / from as f64 * 100.0;
    let (growth, growth_from_cold) = (percent(baseline), percent(cold));
    let result = json!({
        "mode": "churn", "lesson": "lesson05", "cycles": cycles, "concurrency": concurrency,
        "failed": failed, "seconds": seconds, "open_streams_after": open_after,
        "rss_kib": { "cold": cold, "baseline": baseline, "after": after },
        "rss_growth_percent": growth, "rss_growth_from_cold_percent": growth_from_cold,
    });
    println!("churn: 2 rounds of {cycles} connect/disconnect cycles against lesson05, {concurrency} at a time, {seconds:.1} s for the second");
    println!("  failed cycles {failed} (both rounds); streams open afterwards {open_after}");
    println!("  server RSS KiB: cold {cold}, after round 1 {baseline}, after round 2 {after}: {growth:+.1}% in round 2 ({growth_from_cold:+.1}% from cold)");
    println!("{result}");
    Ok(())
}
