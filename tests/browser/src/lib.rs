//! A headless Chromium driven over the Chrome DevTools Protocol (CDP), for tests of the pages.
//!
//! [`Browser::launch`] starts Chromium with `--remote-debugging-port=0` and reads the WebSocket
//! address it prints; [`Browser::open`] opens a tab; [`Page::eval`] runs JavaScript in it and
//! [`Page::wait_for`] waits, with a deadline, until a JavaScript condition holds.
//!
//! Chromium is found through `CHROMIUM` (a path), else `chromium`, `chromium-browser`,
//! `google-chrome` on `PATH`. [`find_chromium`] says which, or why none.
//!
//! Why not a crate: the tests use four CDP methods, chromiumoxide compiles bindings for the whole
//! protocol and headless_chrome is synchronous; a few lines over `tokio-tungstenite` suffice.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub mod posts;
mod runner;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::Message;

pub use runner::{run_scenarios, run_scenarios_with, Scenario};

/// `text` as a JavaScript string literal (JSON quotes strings as JavaScript does), to build
/// expressions for [`Page::eval`] and [`Page::wait_for`].
pub fn js_string(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

/// How long a browser step may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(15);

/// The Chromium to use: `$CHROMIUM`, else the first of the usual names on `PATH`.
pub fn find_chromium() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("CHROMIUM={} is not a file", path.display()))
        };
    }
    let names = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ];
    let dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    for name in names {
        for dir in &dirs {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(format!(
        "no Chromium found (looked for {} on PATH). Install it (Debian/Ubuntu: \
         sudo apt-get install chromium) or set CHROMIUM=/path/to/chrome",
        names.join(", ")
    ))
}

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Value>>>>;

/// A running headless Chromium. Dropping it kills the browser.
pub struct Browser {
    _child: Child,
    _profile: TempDir,
    conn: Connection,
}

/// One CDP WebSocket connection: commands go out with an id, replies come back with it.
#[derive(Clone)]
struct Connection {
    outgoing: mpsc::UnboundedSender<String>,
    pending: Pending,
    next_id: Arc<AtomicU64>,
}

/// A tab, attached through a CDP session.
pub struct Page {
    conn: Connection,
    session: String,
}

impl Browser {
    /// Starts Chromium headless with a fresh profile and connects to it.
    pub async fn launch() -> Result<Browser, String> {
        Browser::launch_with(&[]).await
    }

    /// [`Browser::launch`] with extra command-line switches (lesson08 adds
    /// `--ignore-certificate-errors` for nginx's self-signed certificate).
    pub async fn launch_with(extra_args: &[&str]) -> Result<Browser, String> {
        let chromium = find_chromium()?;
        let profile = TempDir::new()?;
        let mut child = Command::new(&chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--remote-debugging-port=0",
            ])
            .args(extra_args)
            .arg(format!("--user-data-dir={}", profile.0.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("could not start {}: {e}", chromium.display()))?;

        // Chromium prints `DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID`.
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let mut lines = BufReader::new(stderr).lines();
        let mut seen = Vec::new();
        let url = timeout(DEADLINE, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    return Some(url.to_owned());
                }
                seen.push(line);
            }
            None
        })
        .await
        .ok()
        .flatten()
        .ok_or_else(|| {
            format!(
                "Chromium did not print its DevTools address; stderr:\n{}",
                seen.join("\n")
            )
        })?;
        // Keep reading stderr so Chromium never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

        let conn = Connection::open(&url).await?;
        Ok(Browser {
            _child: child,
            _profile: profile,
            conn,
        })
    }

    /// Opens `url` in a new tab and waits until the page has loaded.
    pub async fn open(&self, url: &str) -> Result<Page, String> {
        let target = self
            .conn
            .call(None, "Target.createTarget", json!({ "url": "about:blank" }))
            .await?;
        let target_id = target["targetId"].as_str().ok_or("no targetId")?;
        let attached = self
            .conn
            .call(
                None,
                "Target.attachToTarget",
                json!({ "targetId": target_id, "flatten": true }),
            )
            .await?;
        let session = attached["sessionId"]
            .as_str()
            .ok_or("no sessionId")?
            .to_owned();
        let page = Page {
            conn: self.conn.clone(),
            session,
        };
        page.call("Page.navigate", json!({ "url": url })).await?;
        page.wait_for(
            "document.readyState === 'complete' && location.href !== 'about:blank'",
            DEADLINE,
        )
        .await?;
        Ok(page)
    }
}

impl Page {
    async fn call(&self, method: &str, params: Value) -> Result<Value, String> {
        self.conn.call(Some(&self.session), method, params).await
    }

    /// Runs `expression` in the page (awaiting it if it is a promise) and returns its value.
    pub async fn eval(&self, expression: &str) -> Result<Value, String> {
        let reply = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            )
            .await?;
        if let Some(exception) = reply.get("exceptionDetails") {
            return Err(format!("`{expression}` threw: {exception}"));
        }
        Ok(reply["result"]["value"].clone())
    }

    /// Waits until `condition` (JavaScript) is true, checking every 20 ms, for at most `within`.
    /// Returns how long it took.
    pub async fn wait_for(&self, condition: &str, within: Duration) -> Result<Duration, String> {
        let started = Instant::now();
        loop {
            let value = self.eval(condition).await?;
            if value == Value::Bool(true) {
                return Ok(started.elapsed());
            }
            if started.elapsed() > within {
                return Err(format!(
                    "waited {within:?} for `{condition}` (last value: {value})"
                ));
            }
            // Polling a condition in another process, bounded by the deadline above.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Connection {
    async fn open(url: &str) -> Result<Connection, String> {
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .map_err(|e| format!("connecting to Chromium's DevTools at {url}: {e}"))?;
        let (mut sink, mut stream) = socket.split();
        let pending: Pending = Arc::default();
        let (outgoing, mut to_send) = mpsc::unbounded_channel::<String>();

        tokio::spawn(async move {
            while let Some(text) = to_send.recv().await {
                if sink.send(Message::text(text)).await.is_err() {
                    break;
                }
            }
        });
        let replies = Arc::clone(&pending);
        tokio::spawn(async move {
            while let Some(Ok(message)) = stream.next().await {
                let Ok(text) = message.to_text() else {
                    continue;
                };
                let Ok(value) = serde_json::from_str::<Value>(text) else {
                    continue;
                };
                // Replies carry the id of their command; events (no id) are not needed here.
                if let Some(id) = value["id"].as_u64() {
                    let waiter = replies.lock().ok().and_then(|mut map| map.remove(&id));
                    if let Some(waiter) = waiter {
                        let _ = waiter.send(value);
                    }
                }
            }
        });
        Ok(Connection {
            outgoing,
            pending,
            next_id: Arc::new(AtomicU64::new(1)),
        })
    }

    async fn call(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Value, String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut command = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            command["sessionId"] = json!(session);
        }
        let (reply_tx, reply_rx) = oneshot::channel();
        self.pending
            .lock()
            .map_err(|_| "lock")?
            .insert(id, reply_tx);
        self.outgoing
            .send(command.to_string())
            .map_err(|_| "the DevTools connection is closed")?;
        let reply = timeout(DEADLINE, reply_rx)
            .await
            .map_err(|_| format!("Chromium did not answer {method}"))?
            .map_err(|_| "the DevTools connection is closed".to_owned())?;
        if let Some(error) = reply.get("error") {
            return Err(format!("{method} failed: {error}"));
        }
        Ok(reply["result"].clone())
    }
}

/// A fresh profile directory for one browser, removed afterwards.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir, String> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "sse-tutorial-chromium-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).map_err(|e| format!("creating {}: {e}", path.display()))?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
