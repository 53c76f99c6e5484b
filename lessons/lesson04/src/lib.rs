//! Lesson 04 as a library, so that lesson05 can build on it:
//!
//! - [`mongo`]: connect, and open the one change stream (with the startup errors explained);
//! - [`feed`]: drive that stream in one task and fan it out to every SSE client;
//! - [`node_json`]: a BSON document as `JSON.stringify` writes it.

pub mod feed;
pub mod mongo;
pub mod node_json;
