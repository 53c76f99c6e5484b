//! `fanout`: N readers of lesson05; one post, then a steady rate of posts; the latency from
//! each POST to its arrival at every reader, and the server's memory along the way.

use std::time::Duration;

use serde_json::json;
use tokio::sync::watch;

use crate::client::Shared;
use crate::steps::{
    connect_readers, percentiles, post, start_lesson05, wait_delivered, wait_for_stat,
};

pub async fn run(clients: usize, rate: u32, seconds: u32) -> Result<(), String> {
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
