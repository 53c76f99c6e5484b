//! A counter of live things: one more while a [`Counted`] lives, one less when it is dropped.
//!
//! Put one inside a client's event stream and the count is right however the stream ends (the
//! client closed its tab, the network went away, the server dropped it): dropping the stream
//! drops the `Counted`, and `Drop` runs exactly once.
//!
//! lesson03 teaches this with its own `ClientGuard` (lessons/lesson03/src/ticker.rs), whose `Drop`
//! also logs the moment, the notes' `clearInterval`. Later lessons need only the count: this.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Adds one to a counter for as long as it lives.
#[derive(Debug)]
pub struct Counted(Arc<AtomicU64>);

impl Counted {
    /// Adds one to `counter` now; [`Drop`] takes it away again.
    pub fn new(counter: &Arc<AtomicU64>) -> Counted {
        counter.fetch_add(1, Ordering::Relaxed);
        Counted(Arc::clone(counter))
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_while_alive() {
        let counter = Arc::new(AtomicU64::new(0));
        let first = Counted::new(&counter);
        let second = Counted::new(&counter);
        assert_eq!(counter.load(Ordering::Relaxed), 2);
        drop(first);
        assert_eq!(counter.load(Ordering::Relaxed), 1);
        drop(second);
        assert_eq!(counter.load(Ordering::Relaxed), 0);
    }
}
