//! The tutor: lists the exercises, checks the learner's files (once, or on every save in watch
//! mode), gives graded hints, restores the unsolved files, and (for CI) proves that every
//! exercise fails unsolved and passes solved.
//!
//! Everything it works on is injected ([`Tutor`]'s fields): the exercise list, the build step,
//! the unsolved texts, the progress file. `main.rs` fills them with the real course; the tests
//! in `tests/` fill them with small fixture crates.

mod backup;
pub mod build;
mod commands;
pub mod lang;
pub mod pristine;
pub mod progress;
mod report;
pub mod watch;

pub use commands::Tutor;
