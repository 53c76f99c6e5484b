//! nginx as a child process (lesson08's tests): skipped visibly when the machine has none, run
//! in a fresh directory, killed on drop. lesson08 itself finds, configures and starts nginx
//! (`lesson08::nginx::{find, start}`), so the tests run exactly what `--bin cluster` runs; this
//! module only adds what a test needs around it.
//!
//! Locally, without nginx, [`program_or_skip`] prints `SKIPPED: <test>: ... (install nginx)`
//! straight to stderr (seen even when the test passes) and the test returns early. Under
//! `CI=true` a missing nginx is a failure: CI must never pass without running these tests.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use tokio::process::Child;

/// `found` (nginx, as `lesson08::nginx::find` found it), or `None` after printing that `test`
/// is skipped. Panics under `CI=true`.
pub fn program_or_skip(found: Option<PathBuf>, test: &str) -> Option<PathBuf> {
    if found.is_some() {
        return found;
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

/// A fresh directory for one nginx (its config, certificate, pid, log and temp files), removed
/// on drop.
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
        std::fs::create_dir_all(&path).expect("creating nginx's run directory");
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

/// A running nginx. Dropping it kills the process (and then removes its directory).
pub struct Nginx {
    _child: Child,
    /// Declared after `child`: the directory goes after the process.
    dir: RunDir,
}

impl Nginx {
    /// nginx started in `dir` (by `lesson08::nginx::start`), owned by the test from now on.
    pub fn new(child: Child, dir: RunDir) -> Nginx {
        Nginx { _child: child, dir }
    }

    /// nginx's `error.log` so far (for failure messages).
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path.join("error.log")).unwrap_or_default()
    }
}
