//! # practice-mongo
//!
//! A small server that speaks the MongoDB wire protocol, so that the unmodified `mongodb`
//! driver can connect to it, for tests and for learners without a MongoDB. **It is a test
//! fixture, not a database**: everything lives in memory and is gone when it stops, and it
//! understands only what the lessons use (see README.md). What it does not understand, it
//! refuses with MongoDB's own error shapes instead of answering "ok".
//!
//! How a request travels through the modules:
//!
//! 1. [`server`] accepts a TCP connection and hands it to `connection`;
//! 2. `connection` reads one message at a time, [`wire`] turns its bytes into a command
//!    document (and the reply back into bytes, with [`bson_encoder`]; [`crc32c`] checks the
//!    optional checksum);
//! 3. `commands` runs it, after checking `failpoint`: `handshake` (hello), `crud`
//!    (insert/update/delete...), or `cursor_commands` (find, aggregate and change streams,
//!    getMore, killCursors, with the open cursors in `cursors` and streams in `change_stream`);
//! 4. `store` holds the documents and the history of changes change streams read.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use practice_mongo::{Config, PracticeServer};
//! let server = PracticeServer::start(Config::default()).await?; // port 0: a free port
//! println!("MONGODB_URI={}", server.uri());
//! # Ok(()) }
//! ```

pub mod bson_encoder;
mod change_stream;
mod commands;
mod connection;
pub mod crc32c;
mod crud;
mod cursor_commands;
mod cursors;
mod errors;
mod failpoint;
mod handshake;
mod matcher;
mod server;
mod store;
pub mod test_support;
mod update;
pub mod wire;

pub use server::{Config, PracticeServer};
