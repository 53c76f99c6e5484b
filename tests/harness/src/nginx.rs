//! nginx as a child process (lesson08's tests): found on the machine or skipped visibly, started
//! with a configuration the test wrote, waited for until its port answers, killed on drop.
//!
//! Locally, without nginx, [`program_or_skip`] prints `SKIPPED: <test>: ... (install nginx)`
//! straight to stderr (seen even when the test passes) and the test returns early. Under
//! `CI=true` a missing nginx is a failure: CI must never pass without running these tests.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::process::{Child, Command};
use tokio::time::Instant;

use crate::DEADLINE;

/// The nginx program: on `PATH`, else in `/usr/sbin` (not on a non-root user's `PATH`), or
/// where Homebrew puts it.
pub fn find() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    let known = ["/usr/sbin", "/usr/local/sbin", "/opt/homebrew/bin"];
    on_path
        .into_iter()
        .chain(known.iter().map(PathBuf::from))
        .map(|dir| dir.join("nginx"))
        .find(|program| program.is_file())
}

/// nginx, or `None` after printing that `test` is skipped. Panics under `CI=true`.
pub fn program_or_skip(test: &str) -> Option<PathBuf> {
    if let Some(program) = find() {
        return Some(program);
    }
    let message = format!(
        "SKIPPED: {test}: nginx is not installed (install nginx: `sudo apt-get install nginx`, \
         or `brew install nginx`)"
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{message} (CI=true: nothing may be skipped)");
    }
    let _ = writeln!(std::io::stderr().lock(), "{message}");
    None
}

/// A fresh directory for one nginx (its config, pid, log and temp files), removed on drop.
pub struct RunDir {
    pub path: PathBuf,
}

impl RunDir {
    pub fn new() -> RunDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "harness-nginx-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        for sub in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"] {
            std::fs::create_dir_all(path.join(sub)).expect("creating nginx's run directory");
        }
        RunDir { path }
    }
}

impl Default for RunDir {
    fn default() -> RunDir {
        RunDir::new()
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A port that was free a moment ago (nginx's ports must be in its config before it starts).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("binding port 0");
    listener.local_addr().expect("a local address").port()
}

/// A running nginx. Dropping it kills the process (and then removes its directory).
pub struct Nginx {
    child: Child,
    /// Declared after `child`: the directory goes after the process.
    dir: RunDir,
}

impl Nginx {
    /// Writes `config` to `<dir>/nginx.conf`, starts `nginx -p <dir> -c <dir>/nginx.conf -g
    /// 'daemon off; master_process off;'` and waits (at most [`DEADLINE`]) until 127.0.0.1:`port` accepts a
    /// connection. Panics with nginx's error log if it exits instead.
    pub async fn start(program: &Path, dir: RunDir, config: &str, port: u16) -> Nginx {
        let conf = dir.path.join("nginx.conf");
        std::fs::write(&conf, config).expect("writing nginx.conf");
        let child = Command::new(program)
            .arg("-p")
            .arg(&dir.path)
            .arg("-c")
            .arg(&conf)
            // In the foreground, and as ONE process: killing nginx's master process leaves its
            // workers running (and holding the ports) with no one to stop them.
            .args(["-g", "daemon off; master_process off;"])
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", program.display()));
        let mut nginx = Nginx { child, dir };
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = nginx.child.try_wait() {
                panic!("nginx exited ({status}); its log:\n{}", nginx.error_log());
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return nginx;
            }
            assert!(
                started.elapsed() < DEADLINE,
                "nginx did not open port {port} within {DEADLINE:?}; its log:\n{}",
                nginx.error_log()
            );
            // nginx says nothing when it is ready: we re-check its port, bounded by DEADLINE.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// nginx's `error.log` so far (for failure messages).
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path.join("error.log")).unwrap_or_default()
    }

    /// The directory nginx runs in.
    pub fn dir(&self) -> &Path {
        &self.dir.path
    }
}
