//! `churn`: two rounds of connect/disconnect cycles against lesson05; afterwards no stream may
//! be open, and the second round must not grow the server's memory.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::{oneshot, watch, Semaphore};
use tokio::task::JoinSet;

use crate::client::{self, Shared};
use crate::steps::{start_lesson05, wait_for_stat};

pub async fn run(cycles: usize, concurrency: usize) -> Result<(), String> {
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
