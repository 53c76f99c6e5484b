//! The readers: raw TCP connections that send `GET /sse` and scan what arrives, plus the small
//! HTTP requests the tool itself makes (`/stats`, `POST /posts`).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{oneshot, watch};

/// What every reader shares: when each event was triggered, and counters.
pub struct Shared {
    pub start: Instant,
    /// Nanoseconds after `start` at which event `seq` was triggered (0 = not yet).
    pub triggered_at: Vec<AtomicU64>,
    /// How many readers have received event `seq`.
    pub delivered: Vec<AtomicUsize>,
    /// Readers whose response head has arrived.
    pub connected: AtomicUsize,
    /// Frames counted by readers that count frames (`data:tick`).
    pub frames: AtomicU64,
}

impl Shared {
    pub fn new(events: usize) -> Arc<Shared> {
        Arc::new(Shared {
            start: Instant::now(),
            triggered_at: (0..events).map(|_| AtomicU64::new(0)).collect(),
            delivered: (0..events).map(|_| AtomicUsize::new(0)).collect(),
            connected: AtomicUsize::new(0),
            frames: AtomicU64::new(0),
        })
    }

    pub fn mark_triggered(&self, seq: usize) {
        let nanos = self.start.elapsed().as_nanos().max(1) as u64;
        self.triggered_at[seq].store(nanos, Ordering::SeqCst);
    }
}

/// The marker each benchmark post carries in its title: `"title":"bench <seq>"`.
const MARKER: &[u8] = b"\"title\":\"bench ";

/// One reader: connects, reads the head (then says so on `on_head`), then records the latency of
/// every marked post (or counts `data:tick` frames) until `stop` changes.
/// Returns (seq, latency in µs) pairs.
pub async fn reader(
    addr: SocketAddr,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    on_head: oneshot::Sender<()>,
) -> std::io::Result<Vec<(u32, u32)>> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    stream
        .write_all(b"GET /sse HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n")
        .await?;

    let mut buf = vec![0u8; 4096];
    let mut filled = 0;
    // The response head.
    loop {
        let n = stream.read(&mut buf[filled..]).await?;
        if n == 0 {
            return Err(std::io::Error::other("closed before the response head"));
        }
        filled += n;
        if let Some(end) = find(&buf[..filled], b"\r\n\r\n") {
            if !buf.starts_with(b"HTTP/1.1 200") {
                return Err(std::io::Error::other("not 200"));
            }
            buf.copy_within(end + 4..filled, 0);
            filled -= end + 4;
            break;
        }
        if filled == buf.len() {
            return Err(std::io::Error::other("response head too long"));
        }
    }
    shared.connected.fetch_add(1, Ordering::SeqCst);
    let _ = on_head.send(());

    let mut latencies = Vec::new();
    loop {
        let now = Instant::now();
        let keep = scan(&buf[..filled], now, &shared, &mut latencies);
        buf.copy_within(keep..filled, 0);
        filled -= keep;
        tokio::select! {
            read = stream.read(&mut buf[filled..]) => match read? {
                0 => break,
                n => filled += n,
            },
            _ = stop.changed() => break,
        }
    }
    Ok(latencies)
}

/// Scans for markers and `data:tick` frames; returns how many bytes are fully scanned (the rest
/// may be the start of a marker cut by the read, and is kept for the next round).
fn scan(bytes: &[u8], now: Instant, shared: &Shared, latencies: &mut Vec<(u32, u32)>) -> usize {
    let mut done = 0;
    let mut at = 0;
    while at < bytes.len() {
        let rest = &bytes[at..];
        if rest.starts_with(MARKER) {
            let digits = &rest[MARKER.len()..];
            let Some(end) = digits.iter().position(|b| !b.is_ascii_digit()) else {
                break;
            };
            if let Some(seq) = std::str::from_utf8(&digits[..end])
                .ok()
                .and_then(|t| t.parse::<usize>().ok())
            {
                if let Some(triggered) = shared
                    .triggered_at
                    .get(seq)
                    .map(|t| t.load(Ordering::SeqCst))
                {
                    let arrived = now.duration_since(shared.start).as_nanos() as u64;
                    let micros = arrived.saturating_sub(triggered) / 1000;
                    latencies.push((seq as u32, micros.min(u32::MAX as u64) as u32));
                    shared.delivered[seq].fetch_add(1, Ordering::SeqCst);
                }
            }
            at += MARKER.len() + end;
            done = at;
        } else if rest.starts_with(b"data:tick ") {
            shared.frames.fetch_add(1, Ordering::Relaxed);
            at += 10;
            done = at;
        } else if MARKER.starts_with(rest) || b"data:tick ".starts_with(rest) {
            break; // a marker cut by the end of this read
        } else {
            at += 1;
            done = at;
        }
    }
    done
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One HTTP/1.1 request on a fresh connection; returns (status, body).
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> Result<(u16, String), String> {
    let mut stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    stream
        .write_all(body.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut response))
        .await
        .map_err(|_| format!("{method} {path}: no answer"))?
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&response);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no status")?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// `GET /stats` as JSON.
pub async fn stats(addr: SocketAddr) -> Result<serde_json::Value, String> {
    let (status, body) = request(addr, "GET", "/stats", "").await?;
    if status != 200 {
        return Err(format!("/stats answered {status}"));
    }
    serde_json::from_str(&body).map_err(|e| format!("/stats: {e}: {body}"))
}
