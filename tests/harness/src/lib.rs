//! Test plumbing shared by every lesson test. Lessons never depend on this crate: it lives here so
//! that no lesson hides what it teaches behind test helpers.
//!
//! - [`binaries`]: builds the workspace's binaries once and finds them, so a test runs the very
//!   program that `cargo run -p lessonNN` runs.
//! - [`process`]: starts a lesson as a process with `PORT=0` and waits for its `listening on` line.
//! - [`http`]: a raw-TCP HTTP/1.1 client that reads the status line, headers and a chunked body
//!   incrementally, byte for byte, always with a deadline.
//! - [`nginx`]: nginx as a child process (lesson08), skipped visibly when it is not installed.
//! - [`sse`]: an event-stream parser written from the WHATWG rules, to prove what a browser's
//!   `EventSource` would make of the bytes.

pub mod binaries;
pub mod http;
pub mod nginx;
pub mod process;
pub mod sse;

use std::time::Duration;

/// How long any single wait in a test may take before the test fails. Generous, because CI machines
/// are slow; a passing test never waits this long, it waits for a line, a frame or a counter.
pub const DEADLINE: Duration = Duration::from_secs(10);

pub use http::Response;
pub use process::Lesson;

/// Renders bytes for a failure message: text as text, control bytes escaped, so `\r` and `\n`
/// are visible when two frames differ.
pub fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).escape_debug().to_string()
}
