//! What one change stream per client costs, and the two settings that bound it: `MAX_CLIENTS`
//! (how many streams at once) and `IDLE_TIMEOUT_MS` (how long a slot may go unused).

use std::ops::RangeInclusive;
use std::time::Duration;

use startup::settings::whole_number;

use crate::client_stream::IDLE_TIMEOUT;

/// At most this many clients have a change stream (a cursor) at once; `MAX_CLIENTS` changes it.
pub const MAX_CLIENTS: u64 = 100;
/// The most `MAX_CLIENTS` may be: each client holds a MongoDB connection, and a MongoDB server
/// (or a small machine's file limit) runs out long before this.
const MAX_CLIENTS_RANGE: RangeInclusive<u64> = 1..=10_000;
/// `IDLE_TIMEOUT_MS` from 100 ms to a day: never 0 (a slot must not be held for ever).
const IDLE_TIMEOUT_MS_RANGE: RangeInclusive<u64> = 100..=86_400_000;
/// Connections the driver may open besides one per change stream (for `GET/POST /posts`).
const SPARE_CONNECTIONS: u64 = 10;

/// The limits this server runs with.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_clients: u64,
    pub idle_timeout: Duration,
}

impl Limits {
    /// `MAX_CLIENTS` and `IDLE_TIMEOUT_MS` from the environment. A value that is not a whole
    /// number in its range ends the program with a message naming the setting and the range.
    pub fn from_env() -> Limits {
        let default_idle_ms = IDLE_TIMEOUT.as_millis() as u64;
        Limits {
            max_clients: whole_number("MAX_CLIENTS", MAX_CLIENTS_RANGE, MAX_CLIENTS),
            idle_timeout: Duration::from_millis(whole_number(
                "IDLE_TIMEOUT_MS",
                IDLE_TIMEOUT_MS_RANGE,
                default_idle_ms,
            )),
        }
    }

    /// `uri` with a connection pool big enough for every change stream (see [`with_pool_size`]).
    pub fn pool_sized(&self, uri: &str) -> String {
        // Both within their ranges, so the sum cannot overflow.
        with_pool_size(uri, self.max_clients + SPARE_CONNECTIONS)
    }
}

/// The URI with `maxPoolSize` set (unless it sets one): a change stream waiting for news holds
/// one pooled connection, and the driver's default pool (10) would make the 11th client wait.
pub fn with_pool_size(uri: &str, size: u64) -> String {
    if uri.to_ascii_lowercase().contains("maxpoolsize=") {
        return uri.to_owned();
    }
    let after_scheme = uri.find("://").map_or(0, |i| i + 3);
    let separator = if uri.contains('?') {
        "&"
    } else if uri[after_scheme..].contains('/') {
        "?"
    } else {
        "/?"
    };
    format!("{uri}{separator}maxPoolSize={size}")
}

#[cfg(test)]
mod tests {
    use super::with_pool_size;

    #[test]
    fn the_pool_size_goes_into_the_uri_unless_it_is_there() {
        let cases = [
            ("mongodb://h:1", "mongodb://h:1/?maxPoolSize=20"),
            ("mongodb://h:1/db", "mongodb://h:1/db?maxPoolSize=20"),
            (
                "mongodb://h:1/db?directConnection=true",
                "mongodb://h:1/db?directConnection=true&maxPoolSize=20",
            ),
            (
                "mongodb://h:1/?maxPoolSize=5",
                "mongodb://h:1/?maxPoolSize=5",
            ),
        ];
        for (uri, want) in cases {
            assert_eq!(with_pool_size(uri, 20), want);
        }
    }
}
