//! Lesson 06 as a library, so that its exercises can reuse the parts they do not change:
//!
//! - [`resume_id`]: a change event's resume token as an SSE `id`, and back;
//! - [`frames`]: the frames, written by hand (`retry:`, `id:`, `newPost`, `resync`);
//! - [`client_stream`]: one change stream per client, started after its `Last-Event-ID`;
//! - [`reply`]: those streams as HTTP responses, and the answer when every slot is taken.

pub mod client_stream;
pub mod frames;
pub mod reply;
pub mod resume_id;

/// How long a browser waits before reconnecting (the first frame, `retry: 1000`). Browsers
/// wait about 3 s by default; one second keeps the gap short without hammering the server.
pub const RETRY_MS: u64 = 1000;
