//! The SSE kit: what a lesson teaches once and every later lesson uses, without MongoDB (so
//! lessons 01–03 do not compile the driver):
//!
//! - [`frame`]: an SSE frame written by hand, refusing line breaks where they would inject
//!   fields (taught in lesson02), and the frames without data: `retry:`, an id alone, a comment
//!   (lesson06 sends all three);
//! - [`reply`]: `200` with the event-stream headers and a stream of frames as the body (the
//!   headers are taught in lesson01, written there by hand);
//! - [`counted`]: counts something (a connected client) for exactly as long as it lives (the
//!   `Drop` idea of lesson03's `ClientGuard`, without its log line);
//! - [`page`]: `GET /` and `GET /style.css`, the same in every lesson, and a page's script.
//!
//! The MongoDB side (connecting, the one change stream, `JSON.stringify`'s output, `/posts`)
//! is the `posts` crate.

pub mod counted;
pub mod frame;
pub mod page;
pub mod reply;
