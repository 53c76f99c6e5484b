//! Every connected client, each with a bounded queue of frames, and the slow-client policy.
//!
//! lesson04 used one `broadcast` channel for everyone. Its ring buffer is bounded, but it only
//! tells a slow client that it lagged when that client reads again, and a client that stopped
//! reading altogether never does. Here each client has its own bounded queue (a `tokio::sync::mpsc`
//! channel of `CLIENT_BUFFER` frames), and the fan-out notices the moment a queue is full.
//!
//! **The slow-client policy.** The fan-out never waits for a client. When a new frame finds a
//! client's queue full (it is `CLIENT_BUFFER` frames behind), that client is dropped from the
//! fan-out: nothing more is queued for it and `slow_clients_dropped` counts it. If it ever reads
//! again, it gets the frames already queued, then `event: resync` (reload the list), then the end
//! of the stream, and its browser reconnects after `retry`. So the memory a stuck reader can hold
//! is bounded: at most `CLIENT_BUFFER` frames in its queue, plus what hyper and the kernel hold for
//! its socket, whatever happens afterwards.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::mpsc::{self, error::TrySendError};

/// The fan-out: one queue per connected client.
#[derive(Clone)]
pub struct Clients {
    queues: Arc<Mutex<Vec<Queue>>>,
    capacity: usize,
    stats: Arc<Stats>,
}

/// The sending end of one client's queue.
struct Queue {
    client: u64,
    frames: mpsc::Sender<Bytes>,
}

/// The counters `GET /stats` shows.
#[derive(Debug, Default)]
pub struct Stats {
    /// Event streams alive right now (counted by `ClientGuard`).
    pub sse_clients: AtomicU64,
    /// Frames sent to the fan-out (posts and error reports).
    pub frames_published: AtomicU64,
    /// Clients dropped because their queue was full.
    pub slow_clients_dropped: AtomicU64,
    /// Times the change stream failed in a way the driver could not resume from.
    pub change_stream_errors: AtomicU64,
    /// Times the change stream was opened again after such a failure.
    pub change_stream_reopens: AtomicU64,
}

impl Clients {
    /// A fan-out whose queues hold at most `capacity` frames each.
    pub fn new(capacity: usize) -> Clients {
        Clients {
            queues: Arc::default(),
            capacity,
            stats: Arc::default(),
        }
    }

    fn queues(&self) -> MutexGuard<'_, Vec<Queue>> {
        // A panic while holding the lock cannot leave the list half-changed (each change is a
        // single push or retain), so a poisoned lock is still safe to use.
        self.queues
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a client: from now on every published frame is queued for it.
    pub fn join(&self) -> (ClientGuard, mpsc::Receiver<Bytes>) {
        let (frames, queue) = mpsc::channel(self.capacity);
        let guard = ClientGuard::new(Arc::clone(&self.stats));
        self.queues().push(Queue {
            client: guard.client,
            frames,
        });
        (guard, queue)
    }

    /// Queues `frame` for every client, without ever waiting. A client whose queue is full is
    /// dropped (the slow-client policy above); a client that went away is forgotten.
    pub fn publish(&self, frame: Bytes) {
        self.stats.frames_published.fetch_add(1, Ordering::Relaxed);
        self.queues()
            .retain(|queue| match queue.frames.try_send(frame.clone()) {
                Ok(()) => true,
                Err(TrySendError::Full(_)) => {
                    self.stats
                        .slow_clients_dropped
                        .fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        client = queue.client,
                        buffer = self.capacity,
                        "a client fell CLIENT_BUFFER frames behind: dropped (it gets `event: resync` if it reads again)"
                    );
                    false // dropping the Sender: the client's stream ends after what is queued
                }
                Err(TrySendError::Closed(_)) => false, // the client went away
            });
    }

    /// The shared counters (the change-stream task counts its errors here).
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The JSON for `GET /stats`.
    pub fn stats_json(&self) -> serde_json::Value {
        let count = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let (fan_out, queued) = {
            let queues = self.queues();
            let queued: usize = queues
                .iter()
                .map(|q| q.frames.max_capacity() - q.frames.capacity())
                .sum();
            (queues.len(), queued)
        };
        serde_json::json!({
            "sse_clients": count(&self.stats.sse_clients),
            "fan_out_clients": fan_out,
            "queued_frames": queued,
            "client_buffer": self.capacity,
            "frames_published": count(&self.stats.frames_published),
            "slow_clients_dropped": count(&self.stats.slow_clients_dropped),
            "change_stream_errors": count(&self.stats.change_stream_errors),
            "change_stream_reopens": count(&self.stats.change_stream_reopens),
        })
    }
}

/// Counts one client for as long as its event stream lives (as in lesson04).
pub struct ClientGuard {
    pub client: u64,
    stats: Arc<Stats>,
}

impl ClientGuard {
    fn new(stats: Arc<Stats>) -> ClientGuard {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let client = NEXT.fetch_add(1, Ordering::Relaxed);
        stats.sse_clients.fetch_add(1, Ordering::Relaxed);
        tracing::info!(client, "SSE client connected");
        ClientGuard { client, stats }
    }
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.stats.sse_clients.fetch_sub(1, Ordering::Relaxed);
        tracing::info!(client = self.client, "SSE client gone");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_drops_that_client_only() {
        let clients = Clients::new(2);
        let (_slow_guard, mut slow) = clients.join();
        let (_fast_guard, mut fast) = clients.join();
        for n in 1..=5 {
            clients.publish(Bytes::from(format!("{n}")));
            // The fast client reads everything at once; the slow one reads nothing.
            assert_eq!(fast.recv().await, Some(Bytes::from(format!("{n}"))));
        }
        let stats = clients.stats_json();
        assert_eq!(stats["slow_clients_dropped"], 1);
        assert_eq!(stats["fan_out_clients"], 1);
        // The slow client still gets what was queued before it was dropped, then the end.
        assert_eq!(slow.recv().await, Some(Bytes::from("1")));
        assert_eq!(slow.recv().await, Some(Bytes::from("2")));
        assert_eq!(slow.recv().await, None);
    }

    #[tokio::test]
    async fn a_client_that_left_is_forgotten_without_counting_it_as_slow() {
        let clients = Clients::new(2);
        let (guard, queue) = clients.join();
        assert_eq!(clients.stats_json()["sse_clients"], 1);
        drop((guard, queue));
        clients.publish(Bytes::from("x"));
        let stats = clients.stats_json();
        assert_eq!(stats["sse_clients"], 0);
        assert_eq!(stats["fan_out_clients"], 0);
        assert_eq!(stats["slow_clients_dropped"], 0);
    }
}
