//! `cargo run -p practice-mongo [-- --port N]`: a practice MongoDB for learners without one.
//! The port may also come from `PORT` (as for the lessons); `--port` wins over it.

use std::process::ExitCode;

use clap::Parser;
use practice_mongo::{Config, PracticeServer};

/// A memory-only practice server that speaks the MongoDB wire protocol (a one-member replica
/// set, so change streams work). Not a database: everything is lost when it stops.
#[derive(Parser, Debug)]
#[command(name = "practice-mongo", version)]
struct Args {
    /// Port to listen on, on 127.0.0.1 (0 picks a free port) [default: $PORT, else 27017]
    #[arg(long)]
    port: Option<u16>,
    /// Change events kept per collection for resuming change streams.
    #[arg(long, default_value_t = 10_000)]
    history_limit: usize,
    /// Database name to put in the printed MONGODB_URI (the lessons use the URI's database).
    #[arg(long, default_value = "yelp-camp")]
    database: String,
    /// Answer like a standalone mongod (no replica set), where change streams fail with
    /// error 40573: to see what the lessons say to a learner whose MongoDB is standalone.
    #[arg(long)]
    standalone: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    // Logs go to stderr; stdout carries only what a learner should copy.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let port = match port(args.port, std::env::var("PORT").ok()) {
        Ok(port) => port,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };

    let config = Config::default()
        .with_port(port)
        .with_history_limit(args.history_limit)
        .with_standalone(args.standalone);
    let server = match PracticeServer::start(config).await {
        Ok(server) => server,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            eprintln!(
                "error: 127.0.0.1:{} is already in use (a real MongoDB, or another \
                 practice-mongo?). Stop it, or pick another port: cargo run -p practice-mongo \
                 -- --port 27018",
                port
            );
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };

    // Install the Ctrl-C handler before the banner invites anyone to press it: `ctrl_c()`
    // installs it when first polled, so poll it once now (a Ctrl-C before that would kill the
    // process instead of stopping it cleanly).
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let early = tokio::select! {
        biased;
        result = &mut ctrl_c => Some(result),
        () = std::future::ready(()) => None,
    };

    println!(
        "practice-mongo: a memory-only PRACTICE server that speaks the MongoDB wire protocol."
    );
    println!("It is not a database: nothing is saved, everything is lost when it stops.");
    println!("Use it with:");
    println!("MONGODB_URI={}", server.uri_for_db(&args.database));
    println!("Press Ctrl-C to stop.");

    let stopped = match early {
        Some(result) => result,
        None => ctrl_c.await,
    };
    if let Err(e) = stopped {
        eprintln!("error: cannot wait for Ctrl-C: {e}");
    }
    eprintln!("stopping practice-mongo");
    server.shutdown().await;
    ExitCode::SUCCESS
}

/// The port: `--port` if given, else `PORT` if set (the variable the lessons read, so
/// `PORT=27018 cargo run -p practice-mongo` works too), else MongoDB's 27017.
fn port(flag: Option<u16>, env: Option<String>) -> Result<u16, String> {
    if let Some(port) = flag {
        return Ok(port);
    }
    match env.as_deref().map(str::trim) {
        None | Some("") => Ok(27017),
        Some(value) => value.parse().map_err(|_| {
            format!(
                "PORT={value:?} is not a port number (0 to 65535; 0 picks a free port). \
                 Unset it, or give one: cargo run -p practice-mongo -- --port 27017"
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::port;

    #[test]
    fn the_flag_wins_over_port_and_port_over_the_default() {
        assert_eq!(port(Some(1), Some("2".into())), Ok(1));
        assert_eq!(port(None, Some(" 2 ".into())), Ok(2));
        assert_eq!(port(None, Some(String::new())), Ok(27017));
        assert_eq!(port(None, None), Ok(27017));
        for bad in ["x", "-1", "65536", "27017abc"] {
            let err = port(None, Some(bad.into())).unwrap_err();
            assert!(err.contains("is not a port number"), "{err}");
        }
    }
}
