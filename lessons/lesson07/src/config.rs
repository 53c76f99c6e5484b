//! The settings of this lesson, read once at start-up from environment variables.
//!
//! A production service is configured by its environment (twelve-factor style). Every value is
//! checked here: a typo stops the server at start-up with a message that says what is allowed,
//! instead of running with a surprising value. (`PORT`, `SHUTDOWN_DEADLINE_MS`,
//! `HEADER_READ_TIMEOUT_MS` and `WRITE_TIMEOUT_MS`, which are about connections, are read by
//! `startup::graceful`, and checked as early with `startup::graceful::check_settings`;
//! `MONGODB_URI` by `lesson07::connect`.)

use std::time::Duration;

/// Every setting of the lesson, with its checked value.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `KEEP_ALIVE_MS`: after this long without a frame, a client gets a `: keep-alive` comment.
    pub keep_alive: Duration,
    /// `CLIENT_BUFFER`: how many frames may wait for one client before it counts as too slow.
    pub client_buffer: usize,
    /// `ALLOWED_ORIGINS`: the web origins whose pages may open `/sse` from another site.
    pub allowed_origins: Vec<String>,
    /// `REOPEN_BACKOFF_MS`: the first wait before reopening a failed change stream (it doubles).
    pub reopen_backoff: Duration,
}

/// The defaults: what `cargo run -p lesson07` uses.
impl Default for Config {
    fn default() -> Config {
        Config {
            // Proxies and load balancers close connections that stay silent for 30–60 s
            // (nginx `proxy_read_timeout` 60 s, AWS ALB idle timeout 60 s): 15 s is well inside.
            keep_alive: Duration::from_secs(15),
            client_buffer: 256,
            allowed_origins: Vec::new(),
            reopen_backoff: Duration::from_millis(500),
        }
    }
}

impl Config {
    /// Reads the settings from the environment. `Err` says which variable is wrong and why; a
    /// value that is not UTF-8 text ends the program at once, as every setting does
    /// (`startup::settings::text`).
    pub fn from_env() -> Result<Config, String> {
        Config::from_lookup(startup::settings::text)
    }

    /// The same, from any lookup function (the unit tests use a list).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let defaults = Config::default();
        let millis = |name: &str, default: Duration, min: u64, max: u64| {
            match lookup(name) {
            None => Ok(default),
            Some(text) => match text.trim().parse::<u64>() {
                Ok(ms) if (min..=max).contains(&ms) => Ok(Duration::from_millis(ms)),
                _ => Err(format!(
                    "{name} must be a whole number of milliseconds from {min} to {max}, got {text:?}"
                )),
            },
        }
        };
        let keep_alive = millis("KEEP_ALIVE_MS", defaults.keep_alive, 10, 3_600_000)?;
        let reopen_backoff = millis("REOPEN_BACKOFF_MS", defaults.reopen_backoff, 1, 60_000)?;
        let client_buffer = match lookup("CLIENT_BUFFER") {
            None => defaults.client_buffer,
            Some(text) => match text.trim().parse::<usize>() {
                Ok(n) if (1..=100_000).contains(&n) => n,
                _ => {
                    return Err(format!(
                        "CLIENT_BUFFER must be a number of frames from 1 to 100000, got {text:?}"
                    ))
                }
            },
        };
        let allowed_origins = match lookup("ALLOWED_ORIGINS") {
            None => Vec::new(),
            Some(text) => parse_origins(&text)?,
        };
        Ok(Config {
            keep_alive,
            client_buffer,
            allowed_origins,
            reopen_backoff,
        })
    }
}

/// `https://app.example,http://localhost:5173` → the two origins. An origin is exactly what a
/// browser sends in its `Origin` header: scheme, host and port, no path, no trailing `/`.
fn parse_origins(text: &str) -> Result<Vec<String>, String> {
    let mut origins = Vec::new();
    for origin in text.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        let rest = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        let host_ok = rest.is_some_and(|host| {
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        });
        if !host_ok {
            return Err(format!(
                "ALLOWED_ORIGINS is a comma-separated list of origins such as https://app.example or \
                 http://localhost:5173 (scheme, host, optional port; no path, no trailing /, no *), got {origin:?}"
            ));
        }
        origins.push(origin.to_owned());
    }
    Ok(origins)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, String> {
        Config::from_lookup(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        assert_eq!(config(&[]), Ok(Config::default()));
        assert_eq!(Config::default().keep_alive, Duration::from_secs(15));
    }

    #[test]
    fn good_values() {
        let got = config(&[
            ("KEEP_ALIVE_MS", "100"),
            ("CLIENT_BUFFER", "8"),
            (
                "ALLOWED_ORIGINS",
                " https://app.example, http://localhost:5173 ,",
            ),
            ("REOPEN_BACKOFF_MS", "50"),
        ]);
        assert_eq!(
            got,
            Ok(Config {
                keep_alive: Duration::from_millis(100),
                client_buffer: 8,
                allowed_origins: vec![
                    "https://app.example".to_owned(),
                    "http://localhost:5173".to_owned()
                ],
                reopen_backoff: Duration::from_millis(50),
            })
        );
    }

    #[test]
    fn bad_values_say_what_is_allowed() {
        assert_eq!(
            config(&[("KEEP_ALIVE_MS", "15s")]),
            Err("KEEP_ALIVE_MS must be a whole number of milliseconds from 10 to 3600000, got \"15s\"".to_owned())
        );
        assert!(config(&[("KEEP_ALIVE_MS", "0")]).is_err());
        assert!(config(&[("CLIENT_BUFFER", "0")]).is_err());
        assert!(config(&[("CLIENT_BUFFER", "-1")]).is_err());
        assert!(config(&[("REOPEN_BACKOFF_MS", "")]).is_err());
        for origin in [
            "*",
            "app.example",
            "https://app.example/",
            "https://app.example/path",
            "ftp://x",
        ] {
            assert!(config(&[("ALLOWED_ORIGINS", origin)]).is_err(), "{origin}");
        }
    }
}
