//! The tutor: lists the exercises, checks the learner's files (once, or on every save in watch
//! mode), gives graded hints, restores the unsolved files, writes what follows from the exercises'
//! data (`sync`), and (for CI) proves that every exercise fails unsolved and passes solved.
//!
//! There is one copy of each unsolved file: the unsolved text is the solution with its edit block
//! replaced by the exercise's `unsolved` lines from `info.toml` ([`edit_block`], [`sync`]).
//!
//! Everything it works on is injected ([`Tutor`]'s fields): the exercise list, the workspace root,
//! the build step, the progress file. `main.rs` fills them with the real course; the tests
//! in `tests/` fill them with small fixture crates.

mod backup;
pub mod build;
mod commands;
pub mod edit_block;
pub mod lang;
pub mod progress;
mod report;
pub mod sync;
pub mod watch;

pub use commands::Tutor;
