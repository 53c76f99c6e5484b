//! What a check reports when the program does not do what the exercise asks.

use std::fmt;

/// One difference between what an exercise asks for and what the program did.
///
/// It is shown to the learner as it is, so every field is plain text with `\r` and `\n` written
/// out (see [`crate::expect::quoted`]), e.g.
///
/// ```text
/// GET /sse, frame 1
///   expected: "data: 데이터\n\n"
///   received: nothing more within 3s; the body so far: "데이터"
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Which step of the check, e.g. `GET /sse, frame 1`.
    pub step: String,
    pub expected: String,
    pub received: String,
}

impl Mismatch {
    pub fn new(step: &str, expected: &str, received: &str) -> Mismatch {
        Mismatch {
            step: step.to_owned(),
            expected: expected.to_owned(),
            received: received.to_owned(),
        }
    }

    /// The check could not go on (the program did not start, a connection broke, ...).
    pub fn stopped(message: &str) -> Mismatch {
        Mismatch::new(
            "the check stopped",
            "the program to start and answer as the exercise says",
            message,
        )
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\n  expected: {}\n  received: {}",
            self.step, self.expected, self.received
        )
    }
}

impl std::error::Error for Mismatch {}
