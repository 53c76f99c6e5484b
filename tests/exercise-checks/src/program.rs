//! The binary a check talks to.

use std::path::PathBuf;

/// Which binary to start: one of the workspace's, by name (the tests), or one the tutor built
/// itself, by path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Program {
    /// A workspace binary such as `solution02-ex1`; the harness builds the workspace once.
    Workspace(String),
    /// A binary file that is already built.
    File(PathBuf),
}

impl Program {
    /// Starts the program with `PORT=0` and `env`, and waits for its `listening on` line.
    /// Panics if it does not start ([`crate::run`] turns that into a mismatch).
    pub async fn start(&self, env: &[(&str, &str)]) -> harness::Lesson {
        match self {
            Program::Workspace(name) => harness::Lesson::start_with(name, env).await,
            Program::File(path) => harness::Lesson::start_program(path, env).await,
        }
    }
}
