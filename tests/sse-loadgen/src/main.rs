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
//!
//! One file per mode (`fanout.rs`, `ticks.rs`, `churn.rs`); the steps they share (starting
//! lesson05 on practice-mongo, opening readers, waiting for a `/stats` counter) are in
//! `steps.rs`, the readers in `client.rs`, the servers' processes in `process.rs`.

mod churn;
mod client;
mod cluster;
mod fanout;
mod process;
mod steps;
mod ticks;

use clap::{Parser, Subcommand};

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
            } => fanout::run(clients, rate, seconds).await,
            Mode::Ticks { clients, seconds } => ticks::run(clients, seconds).await,
            Mode::Churn {
                cycles,
                concurrency,
            } => churn::run(cycles, concurrency).await,
            Mode::Cluster { clients, direct } => cluster::run(clients, direct).await,
        }
    };
    if let Err(err) = result.await {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}
