//! The tokens that logged out, remembered with a bound on how many and for how long.
//!
//! `POST /logout?token=...` needs no password in this lesson (it stands for the moment a real app
//! ends a session), so anyone can send it as often as they like. Remembering every token for ever
//! would let them fill the server's memory (2,000 requests with 50 KB tokens: +98 MB). So:
//!
//! - a token is 1 to [`MAX_TOKEN_LEN`] visible ASCII characters (what session ids, UUIDs and
//!   JWTs are made of); anything else is refused with `400` before it is stored;
//! - at most [`MAX_REMEMBERED`] tokens are remembered: past that, the oldest is forgotten;
//! - each for [`REMEMBERED_FOR`]: a real session token expires long before that, so by then the
//!   app itself refuses it.
//!
//! A forgotten token can open an event stream again. That is the price of the bound, and why a
//! real app checks its session store instead (see README.md).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

/// The longest token accepted, in bytes.
pub const MAX_TOKEN_LEN: usize = 1024;
/// How many logged-out tokens are remembered at most (about 10 MB at the longest tokens).
pub const MAX_REMEMBERED: usize = 10_000;
/// How long a logged-out token is remembered.
pub const REMEMBERED_FOR: Duration = Duration::from_secs(24 * 60 * 60);

/// Why a token was refused.
pub fn check_token(token: &str) -> Result<(), String> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(format!(
            "a token is 1 to {MAX_TOKEN_LEN} characters long, this one has {}",
            token.len()
        ));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(
            "a token is made of visible ASCII characters only (no spaces, control characters or \
             other scripts)"
                .to_owned(),
        );
    }
    Ok(())
}

/// The logged-out tokens: when each logged out, and in what order (oldest first).
#[derive(Debug)]
pub struct LoggedOut {
    since: HashMap<String, Instant>,
    order: VecDeque<(Instant, String)>,
    max: usize,
    remembered_for: Duration,
}

impl Default for LoggedOut {
    fn default() -> LoggedOut {
        LoggedOut::new(MAX_REMEMBERED, REMEMBERED_FOR)
    }
}

impl LoggedOut {
    pub fn new(max: usize, remembered_for: Duration) -> LoggedOut {
        LoggedOut {
            since: HashMap::new(),
            order: VecDeque::new(),
            max,
            remembered_for,
        }
    }

    /// Remembers that `token` logged out at `now`, forgetting what is too old or too many.
    pub fn insert(&mut self, token: &str, now: Instant) {
        if self.contains(token, now) {
            return; // already remembered: its time counts from its first logout
        }
        self.since.insert(token.to_owned(), now);
        self.order.push_back((now, token.to_owned()));
        while let Some((at, oldest)) = self.order.front() {
            let expired = now.saturating_duration_since(*at) >= self.remembered_for;
            if !expired && self.since.len() <= self.max {
                break;
            }
            // A token that logged out again after it was forgotten by age (but not yet removed)
            // is in `order` twice: only its latest entry counts.
            if self.since.get(oldest) == Some(at) {
                self.since.remove(oldest);
            }
            self.order.pop_front();
        }
    }

    /// Did `token` log out, and recently enough to be remembered at `now`?
    pub fn contains(&self, token: &str, now: Instant) -> bool {
        self.since
            .get(token)
            .is_some_and(|at| now.saturating_duration_since(*at) < self.remembered_for)
    }

    /// How many tokens are remembered (for `GET /stats`).
    pub fn len(&self) -> usize {
        self.since.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_short_visible_ascii() {
        assert!(check_token("alice").is_ok());
        assert!(check_token("eyJhbGciOiJIUzI1NiJ9.e30.abc-_~").is_ok());
        assert!(check_token(&"a".repeat(MAX_TOKEN_LEN)).is_ok());
        for bad in [
            String::new(),
            "a".repeat(MAX_TOKEN_LEN + 1),
            "a b".to_owned(),
            "a\r\nb".to_owned(),
            "a\0".to_owned(),
            "토큰".to_owned(),
            "\u{FFFD}".to_owned(),
        ] {
            assert!(check_token(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_oldest_is_forgotten_past_the_maximum() {
        let now = Instant::now();
        let mut out = LoggedOut::new(3, REMEMBERED_FOR);
        for token in ["a", "b", "c", "d"] {
            out.insert(token, now);
        }
        assert_eq!(out.len(), 3);
        assert!(!out.contains("a", now));
        assert!(out.contains("d", now));
        // Logging out again changes nothing (and takes no memory).
        out.insert("b", now);
        assert_eq!(out.order.len(), 3);
        out.insert("e", now);
        assert!(!out.contains("b", now));
        assert!(out.contains("c", now));
        assert_eq!(out.len(), 3);
    }

    #[test]
    fn a_token_is_forgotten_after_its_time() {
        let start = Instant::now();
        let mut out = LoggedOut::new(10, Duration::from_secs(60));
        out.insert("a", start);
        assert!(out.contains("a", start + Duration::from_secs(59)));
        assert!(!out.contains("a", start + Duration::from_secs(60)));
        // The next logout frees the memory too; logging out again after that starts afresh.
        out.insert("b", start + Duration::from_secs(61));
        assert_eq!(out.len(), 1);
        out.insert("a", start + Duration::from_secs(62));
        assert!(out.contains("a", start + Duration::from_secs(62)));
        assert_eq!((out.len(), out.order.len()), (2, 2));
    }
}
