//! Settings read from the environment. A bad value stops the server at once (exit code 2) with
//! a message naming the setting and what it may be, never a panic and never a silent default.

use std::ops::RangeInclusive;
use std::time::Duration;

use crate::exit;

/// `PORT`: the port to listen on, default 3000; `0` picks a free one.
pub fn port() -> u16 {
    match text("PORT") {
        None => 3000,
        Some(text) => text.parse::<u16>().unwrap_or_else(|_| {
            exit(
                2,
                &format!(
                    "PORT must be a port number from 0 to 65535 (0 picks a free one), got {text:?}"
                ),
            )
        }),
    }
}

/// A whole number setting `name` within `range`; `default` when it is not set.
pub fn whole_number(name: &str, range: RangeInclusive<u64>, default: u64) -> u64 {
    match text(name) {
        None => default,
        Some(text) => match text.parse::<u64>() {
            Ok(n) if range.contains(&n) => n,
            _ => exit(
                2,
                &format!(
                    "{name} must be a whole number from {} to {}, got {text:?}",
                    range.start(),
                    range.end()
                ),
            ),
        },
    }
}

/// A duration setting `name` in milliseconds, from 1 to 600000 (ten minutes); `default` when
/// it is not set.
pub fn millis(name: &str, default: Duration) -> Duration {
    match text(name) {
        None => default,
        Some(text) => match text.parse::<u64>() {
            Ok(ms) if (1..=600_000).contains(&ms) => Duration::from_millis(ms),
            _ => exit(
                2,
                &format!(
                    "{name} must be a whole number of milliseconds from 1 to 600000, got {text:?}"
                ),
            ),
        },
    }
}

/// How long hyper waits for a request's headers: `HEADER_READ_TIMEOUT_MS`, default 10 s.
///
/// Every open connection holds a file descriptor and some memory, and a process may have only
/// so many descriptors (often 1,024, see `ulimit -n`). A client that connects and then sends
/// nothing, or one byte now and then (the "slowloris" attack), would keep its connection for
/// ever: hyper has no clock unless we give it one. With a few hundred such connections the
/// server cannot accept anyone else, not even a page asking for `/stats`.
///
/// hyper's `header_read_timeout` runs while hyper waits for a request head: from the moment a
/// connection is accepted until the blank line that ends the first request's headers, and
/// again, on a keep-alive connection, from the end of one response until the next request's
/// headers are in. So a silent client, a client that drips its headers, and a keep-alive
/// connection left idle are all closed after this time, without an answer. It does not run
/// while a response is being sent: an event stream that stays open for hours is not cut.
/// (Nor does it limit how slowly a request *body* arrives; no lesson before 05 reads one.)
pub fn header_read_timeout() -> Duration {
    millis("HEADER_READ_TIMEOUT_MS", Duration::from_secs(10))
}

/// The text of setting `name`, `None` when it is not set. A value that is set but is not
/// UTF-8 text (possible on Unix) stops the server like any other bad value (exit code 2):
/// treating it as unset would start the server with the default and hide the mistake.
pub fn text(name: &str) -> Option<String> {
    let value = std::env::var_os(name)?;
    match value.into_string() {
        Ok(text) => Some(text),
        Err(raw) => exit(2, &format!("{name} must be text (UTF-8), got {raw:?}")),
    }
}
