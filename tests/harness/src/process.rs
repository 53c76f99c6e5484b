//! A lesson binary running as a child process, the way a learner runs it.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::Notify;
use tokio::time::timeout;

use crate::http::{self, Response};
use crate::{binaries, DEADLINE};

/// Why [`Lesson::interrupt`] and [`Lesson::send_signal`] work on Unix only. Windows has no
/// SIGINT/SIGTERM to send to another process (a console's Ctrl-C reaches every process attached
/// to it, the test runner included), so the tests that stop a lesson that way carry
/// `#[cfg_attr(not(unix), ignore = "...")]`: on Windows they are listed as ignored, not failed.
pub const SIGNALS_ARE_UNIX_ONLY: &str =
    "the harness sends signals with `kill`, which exists on Unix (Linux, macOS, WSL) only";

/// A running lesson. Dropping it kills the process.
pub struct Lesson {
    name: String,
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Lines>,
}

/// Lines a process wrote to stderr, and a way to wait for the next one.
#[derive(Default)]
struct Lines {
    lines: Mutex<Vec<String>>,
    added: Notify,
}

impl Lesson {
    /// Starts `cargo run -p <name>`'s binary with `PORT=0` and waits for `listening on ...`.
    pub async fn start(name: &str) -> Lesson {
        Lesson::start_with(name, &[]).await
    }

    /// Like [`Lesson::start`], with extra environment variables (`TICK_MS`, `MONGODB_URI`, ...).
    pub async fn start_with(name: &str, env: &[(&str, &str)]) -> Lesson {
        Lesson::start_program(&binaries::path_of(name), env).await
    }

    /// Like [`Lesson::start_with`], for a program given by its path instead of a workspace binary
    /// name (the tutor builds a learner's exercise binary itself, so that one exercise that does
    /// not compile does not stop the others from being checked).
    pub async fn start_program(program: &Path, env: &[(&str, &str)]) -> Lesson {
        let name = program.file_stem().map_or_else(
            || program.display().to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        let name = name.as_str();
        let mut child = command(program, env)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {name}: {e}"));
        let stderr = collect_stderr(&mut child);

        let stdout = child.stdout.take().expect("stdout is piped");
        let mut stdout = BufReader::new(stdout).lines();
        let first = timeout(DEADLINE, stdout.next_line()).await;
        let first = match first {
            Ok(Ok(Some(line))) => line,
            other => {
                let status = child.try_wait().ok().flatten();
                panic!(
                    "{name} did not print `listening on ...` ({other:?}, exit: {status:?}); stderr:\n{}",
                    stderr.text()
                )
            }
        };
        let addr = first
            .strip_prefix("listening on http://")
            .and_then(|rest| rest.parse::<SocketAddr>().ok())
            .unwrap_or_else(|| {
                panic!("{name}'s first stdout line should be `listening on http://127.0.0.1:<port>`, got {first:?}")
            });
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = stdout.next_line().await {} });

        Lesson {
            name: name.to_owned(),
            child,
            addr,
            stderr,
        }
    }

    /// The address from the `listening on` line.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Opens a new connection and sends `GET path`; returns once the status line and headers are in.
    pub async fn get(&self, path: &str) -> Response {
        http::get(self.addr, path, &[]).await
    }

    /// `GET path` whose body is JSON (for example `/stats`), read to the end.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let mut response = self.get(path).await;
        assert_eq!(response.status, 200, "GET {path} on {}", self.name);
        let body = response.read_to_end().await;
        serde_json::from_slice(&body).unwrap_or_else(|e| {
            panic!("GET {path}: body is not JSON ({e}): {}", crate::show(&body))
        })
    }

    /// Waits until `check` accepts the JSON at `path`, asking again each time a log line appears
    /// or every 20 ms, whichever is first; panics with the last value after [`DEADLINE`].
    pub async fn wait_for_json(
        &self,
        path: &str,
        what: &str,
        check: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let started = tokio::time::Instant::now();
        loop {
            let value = self.get_json(path).await;
            if check(&value) {
                return value;
            }
            if started.elapsed() > DEADLINE {
                panic!("waited {DEADLINE:?} for {what} at {path}; last value: {value}");
            }
            // Not a sleep-as-synchronisation: we re-check a counter, bounded by DEADLINE.
            let _ = timeout(Duration::from_millis(20), self.stderr.added.notified()).await;
        }
    }

    /// Waits for a stderr line containing `needle` and returns it.
    pub async fn wait_for_log(&self, needle: &str) -> String {
        let found = timeout(DEADLINE, async {
            loop {
                let notified = self.stderr.added.notified();
                if let Some(line) = self.stderr.find(needle) {
                    return line;
                }
                notified.await;
            }
        })
        .await;
        found.unwrap_or_else(|_| {
            panic!(
                "{} never logged {needle:?}; stderr so far:\n{}",
                self.name,
                self.stderr.text()
            )
        })
    }

    /// Everything the process has written to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.text()
    }

    /// Sends Ctrl-C (SIGINT) and waits for the process to exit.
    ///
    /// Unix only (see [`SIGNALS_ARE_UNIX_ONLY`]); a test that calls it is marked
    /// `#[cfg_attr(not(unix), ignore = "...")]`.
    pub async fn interrupt(mut self) -> ExitStatus {
        self.send_signal("INT");
        match timeout(DEADLINE, self.child.wait()).await {
            Ok(Ok(status)) => status,
            other => panic!("{} did not exit after Ctrl-C: {other:?}", self.name),
        }
    }
}

impl Lesson {
    /// The process id (for `/proc/<pid>/status`, or to send a signal yourself).
    pub fn pid(&self) -> u32 {
        self.child.id().expect("the lesson is still running")
    }

    /// Sends `signal` (a name `kill` understands: `TERM`, `INT`, ...) without waiting for
    /// anything; use [`Lesson::wait_for_exit`] next. Unlike [`Lesson::interrupt`] this keeps the
    /// `Lesson`, so its stderr can still be read afterwards.
    ///
    /// Unix only (see [`SIGNALS_ARE_UNIX_ONLY`]).
    pub fn send_signal(&self, signal: &str) {
        let pid = self.pid();
        if cfg!(not(unix)) {
            panic!(
                "cannot send SIG{signal} to {} (pid {pid}): {SIGNALS_ARE_UNIX_ONLY}",
                self.name
            );
        }
        let sent = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &pid.to_string()])
            .status()
            .expect("could not run kill");
        assert!(sent.success(), "kill -{signal} {pid} failed");
    }

    /// Waits (at most [`DEADLINE`]) for the process to exit and returns its status.
    pub async fn wait_for_exit(&mut self) -> ExitStatus {
        match timeout(DEADLINE, self.child.wait()).await {
            Ok(Ok(status)) => status,
            other => panic!(
                "{} did not exit: {other:?}; stderr:\n{}",
                self.name,
                self.stderr.text()
            ),
        }
    }
}

/// What a program printed before it exited by itself (for startup errors).
pub struct Exited {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs workspace binary `name` with `PORT=0` and `env`, expecting it to exit on its own.
pub async fn run_to_exit(name: &str, env: &[(&str, &str)]) -> Exited {
    let child = command(&binaries::path_of(name), env)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {name}: {e}"));
    match timeout(DEADLINE * 3, child.wait_with_output()).await {
        Ok(Ok(output)) => Exited {
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        },
        other => panic!("{name} did not exit by itself: {other:?}"),
    }
}

fn command(program: &Path, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(program);
    command
        .env("PORT", "0")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

fn collect_stderr(child: &mut Child) -> Arc<Lines> {
    let lines = Arc::new(Lines::default());
    let stderr = child.stderr.take().expect("stderr is piped");
    let sink = Arc::clone(&lines);
    tokio::spawn(async move {
        let mut reader = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            sink.lines.lock().expect("lines lock").push(line);
            sink.added.notify_waiters();
        }
    });
    lines
}

impl Lines {
    fn find(&self, needle: &str) -> Option<String> {
        let lines = self.lines.lock().expect("lines lock");
        lines.iter().find(|l| l.contains(needle)).cloned()
    }

    fn text(&self) -> String {
        self.lines.lock().expect("lines lock").join("\n")
    }
}
