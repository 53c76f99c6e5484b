//! The listening server: start, accept connections, count things, shut down.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};

use crate::cursors::CursorTable;
use crate::failpoint::FailCommand;
use crate::store::Store;

/// How to start a [`PracticeServer`].
#[derive(Debug, Clone)]
pub struct Config {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Change events kept per collection for resuming (MongoDB keeps its oplog; we keep this).
    pub history_limit: usize,
    /// Answer like a standalone `mongod` (no replica set): `hello` names no set, and change
    /// streams fail with error 40573, as they do on a real standalone server.
    pub standalone: bool,
    /// Accept `configureFailPoint` (on by default). Off, it answers "no such command" (59) like
    /// a real mongod started without `--setParameter enableTestCommands=1`.
    pub test_commands: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 0,
            history_limit: 10_000,
            standalone: false,
            test_commands: true,
        }
    }
}

impl Config {
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    pub fn with_history_limit(mut self, history_limit: usize) -> Self {
        self.history_limit = history_limit;
        self
    }

    pub fn with_standalone(mut self, standalone: bool) -> Self {
        self.standalone = standalone;
        self
    }

    pub fn with_test_commands(mut self, test_commands: bool) -> Self {
        self.test_commands = test_commands;
        self
    }
}

/// Everything the connections share. One mutex guards all data: critical sections are short
/// and never held across an `.await`, so a plain `std::sync::Mutex` is right here.
pub(crate) struct Shared {
    state: Mutex<State>,
    /// The newest event `seq`. Change streams waiting in `getMore` watch it to wake up the
    /// moment something is written, instead of polling.
    pub changes: watch::Sender<u64>,
    /// `127.0.0.1:PORT`, the name this member gives itself in `hello`.
    pub host_port: String,
    /// See [`Config::standalone`].
    pub standalone: bool,
    /// See [`Config::test_commands`].
    pub test_commands: bool,
    pub open_connections: AtomicUsize,
    /// Change stream `getMore`s currently waiting for events.
    pub waiting_get_mores: AtomicUsize,
    pub next_conn_id: AtomicU64,
}

pub(crate) struct State {
    pub store: Store,
    pub cursors: CursorTable,
    pub fail_command: FailCommand,
}

impl Shared {
    /// Locks the state. A panic while holding the lock would be a bug in this crate, but even
    /// then the data is still usable, so a poisoned lock is recovered rather than spread.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs a write, then wakes waiting change streams if it recorded events.
    pub fn write<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let (result, before, after) = {
            let mut state = self.lock();
            let before = state.store.last_seq();
            let result = f(&mut state);
            (result, before, state.store.last_seq())
        };
        if after != before {
            self.changes.send_replace(after);
        }
        result
    }
}

/// A running practice server. Dropping it stops it (connections are closed).
pub struct PracticeServer {
    address: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    accept_task: Option<JoinHandle<()>>,
}

impl PracticeServer {
    /// Binds 127.0.0.1:`config.port` and starts serving in the background of the current
    /// tokio runtime.
    pub async fn start(config: Config) -> io::Result<PracticeServer> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                store: Store::new(config.history_limit),
                cursors: CursorTable::default(),
                fail_command: FailCommand::default(),
            }),
            changes: watch::Sender::new(0),
            host_port: address.to_string(),
            standalone: config.standalone,
            test_commands: config.test_commands,
            open_connections: AtomicUsize::new(0),
            waiting_get_mores: AtomicUsize::new(0),
            next_conn_id: AtomicU64::new(1),
        });
        let (stop, stop_rx) = oneshot::channel();
        let accept_task = tokio::spawn(accept_loop(listener, shared.clone(), stop_rx));
        tracing::info!(%address, "practice-mongo listening");
        Ok(PracticeServer {
            address,
            shared,
            stop: Some(stop),
            accept_task: Some(accept_task),
        })
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `mongodb://127.0.0.1:PORT/?directConnection=true`
    pub fn uri(&self) -> String {
        format!("mongodb://{}/?directConnection=true", self.address)
    }

    /// `mongodb://127.0.0.1:PORT/DB?directConnection=true`
    pub fn uri_for_db(&self, db: &str) -> String {
        format!("mongodb://{}/{db}?directConnection=true", self.address)
    }

    /// Cursors currently open (find/aggregate leftovers and change streams).
    pub fn open_cursors(&self) -> usize {
        self.shared.lock().cursors.len()
    }

    /// Client connections currently open.
    pub fn open_connections(&self) -> usize {
        self.shared.open_connections.load(Ordering::SeqCst)
    }

    /// Change stream `getMore`s currently waiting for an event (or their `maxTimeMS`).
    pub fn waiting_get_mores(&self) -> usize {
        self.shared.waiting_get_mores.load(Ordering::SeqCst)
    }

    /// Stops accepting, closes every connection, and waits until all are gone.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.accept_task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for PracticeServer {
    fn drop(&mut self) {
        // Aborting the accept task drops its JoinSet, which aborts every connection task.
        if let Some(task) = self.accept_task.take() {
            task.abort();
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut stop: oneshot::Receiver<()>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(crate::connection::serve(shared.clone(), stream, peer));
                }
                Err(e) => {
                    // E.g. out of file descriptors: back off briefly instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            // Reap finished connection tasks so the set does not grow forever.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
    tracing::info!("practice-mongo stopped");
}
