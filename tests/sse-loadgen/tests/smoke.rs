//! The load generator itself, at a small scale and against the debug builds: every mode runs,
//! nothing is lost, and its JSON line says so. (The real runs and numbers are in BENCHMARKS.md.)
//!
//! Linux only, like the tool (it reads `/proc`): elsewhere these tests are listed as ignored.

use std::process::Command;

/// Runs `sse-loadgen` with `args` and returns the JSON line it ends with.
fn run(args: &[&str]) -> serde_json::Value {
    // Builds the workspace's binaries once; lesson03, lesson05 and practice-mongo land next to
    // sse-loadgen, which is where it looks for them.
    let loadgen = harness::binaries::path_of("sse-loadgen");
    let output = Command::new(&loadgen)
        .args(args)
        .output()
        .expect("sse-loadgen runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "sse-loadgen {args:?} failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("the last line is not JSON ({e}): {last}"))
}

#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "sse-loadgen reads /proc: Linux only"
)]
fn fanout_delivers_every_post_to_every_reader() {
    let result = run(&[
        "fanout",
        "--clients",
        "50",
        "--rate",
        "20",
        "--seconds",
        "1",
    ]);
    assert_eq!(result["failed_readers"], 0, "{result}");
    assert_eq!(result["single"]["delivered"], 50, "{result}");
    assert_eq!(result["steady"]["expected"], 50 * 20, "{result}");
    assert_eq!(result["steady"]["delivered"], 50 * 20, "{result}");
    for phase in ["single", "steady"] {
        let latency = &result[phase]["latency"];
        let (p50, p99, max) = (&latency["p50_ms"], &latency["p99_ms"], &latency["max_ms"]);
        assert!(
            p50.as_f64() <= p99.as_f64() && p99.as_f64() <= max.as_f64(),
            "{result}"
        );
    }
    assert!(
        result["rss_kib"]["idle_clients"].as_u64() > result["rss_kib"]["baseline"].as_u64(),
        "{result}"
    );
}

#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "sse-loadgen reads /proc: Linux only"
)]
fn ticks_counts_every_frame_and_the_cpu_time() {
    let result = run(&["ticks", "--clients", "20", "--seconds", "2"]);
    let frames = result["frames"].as_u64().expect("frames");
    // 20 clients, one tick a second, for a 2-second window: 40, give or take a tick each.
    assert!((20..=60).contains(&frames), "{result}");
    let cpu = result["server_cpu_percent_of_one_core"]
        .as_f64()
        .expect("a CPU figure");
    assert!((0.0..100.0).contains(&cpu), "{result}");
}

#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "sse-loadgen reads /proc: Linux only"
)]
fn churn_leaves_no_stream_open() {
    let result = run(&["churn", "--cycles", "300", "--concurrency", "20"]);
    assert_eq!(result["failed"], 0, "{result}");
    assert_eq!(result["open_streams_after"], 0, "{result}");
    // RSS before any cycle, after the warm-up round and after the measured round.
    for when in ["cold", "baseline", "after"] {
        let kib = result["rss_kib"][when].as_u64().unwrap_or(0);
        assert!(kib > 1000, "RSS {when} should be some MiB: {result}");
    }
    assert!(result["rss_growth_percent"].is_f64(), "{result}");
}
