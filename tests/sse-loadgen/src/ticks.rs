//! `ticks`: N readers of lesson03 at one tick a second; the server's CPU use over a window.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::watch;

use crate::client::Shared;
use crate::process::Server;
use crate::steps::{connect_readers, wait_for_stat};

pub async fn run(clients: usize, seconds: u32) -> Result<(), String> {
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
