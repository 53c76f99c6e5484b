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

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use sse_kit::counted::Counted;
use tokio::sync::mpsc::{self, error::TrySendError};

/// The fan-out: one queue per connected client.
#[derive(Clone)]
pub struct Clients {
    /// The sending end of each client's queue, by client number.
    queues: Arc<Mutex<HashMap<u64, mpsc::Sender<Bytes>>>>,
    capacity: usize,
    stats: Arc<Stats>,
}

/// The counters `GET /stats` shows.
#[derive(Debug, Default)]
pub struct Stats {
    /// Event streams alive right now (each `ClientGuard` holds a `Counted` of it).
    pub sse_clients: Arc<AtomicU64>,
    /// Frames sent to the fan-out (posts and error reports).
    pub frames_published: AtomicU64,
    /// Clients dropped because their queue was full.
    pub slow_clients_dropped: AtomicU64,
    /// Times the change stream failed in a way the driver could not resume from.
    pub change_stream_errors: AtomicU64,
    /// Times the change stream was opened again after such a failure.
    pub change_stream_reopens: AtomicU64,
    /// Of those, the times it had to start from now because MongoDB no longer had the history
    /// after our last token (every client was sent `event: resync`).
    pub change_stream_resyncs: AtomicU64,
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

    fn queues(&self) -> MutexGuard<'_, HashMap<u64, mpsc::Sender<Bytes>>> {
        // A panic while holding the lock cannot leave the map half-changed (each change is a
        // single insert, remove or retain), so a poisoned lock is still safe to use.
        self.queues
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a client: from now on every published frame is queued for it.
    /// Dropping the guard (when the client's stream is dropped: it went away, or its connection
    /// was closed) removes the client at once, without waiting for the next post.
    pub fn join(&self) -> (ClientGuard, mpsc::Receiver<Bytes>) {
        let (frames, queue) = mpsc::channel(self.capacity);
        let guard = ClientGuard::new(self.clone());
        self.queues().insert(guard.client, frames);
        (guard, queue)
    }

    /// Queues `frame` for every client, without ever waiting. A client whose queue is full is
    /// dropped (the slow-client policy above); a client that went away is forgotten.
    pub fn publish(&self, frame: Bytes) {
        self.stats.frames_published.fetch_add(1, Ordering::Relaxed);
        self.queues()
            .retain(|&client, queue| match queue.try_send(frame.clone()) {
                Ok(()) => true,
                Err(TrySendError::Full(_)) => {
                    self.stats
                        .slow_clients_dropped
                        .fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        client,
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
                .values()
                .map(|q| q.max_capacity() - q.capacity())
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
            "change_stream_resyncs": count(&self.stats.change_stream_resyncs),
        })
    }
}

/// One client, for as long as its event stream lives: counted (`sse_kit::counted`), and in
/// the fan-out until it is dropped.
pub struct ClientGuard {
    pub client: u64,
    clients: Clients,
    _counted: Counted,
}

impl ClientGuard {
    fn new(clients: Clients) -> ClientGuard {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let client = NEXT.fetch_add(1, Ordering::Relaxed);
        let counted = Counted::new(&clients.stats.sse_clients);
        tracing::info!(client, "SSE client connected");
        ClientGuard {
            client,
            clients,
            _counted: counted,
        }
    }
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        // Without this, a departed client's queue would stay in the fan-out until the next post
        // noticed it was closed: on a quiet feed, thousands of them. (The count goes down when
        // `_counted` is dropped, right after this.)
        self.clients.queues().remove(&self.client);
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
        assert_eq!(clients.stats_json()["fan_out_clients"], 1);
        drop((guard, queue));
        // Gone at once, with no post needed to notice it.
        let stats = clients.stats_json();
        assert_eq!(stats["sse_clients"], 0);
        assert_eq!(stats["fan_out_clients"], 0);
        clients.publish(Bytes::from("x"));
        assert_eq!(clients.stats_json()["slow_clients_dropped"], 0);
    }
}
