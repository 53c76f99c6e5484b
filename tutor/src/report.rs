//! How results are written for the learner.

use exercise_checks::{Exercise, Mismatch};

use crate::lang::Lang;

/// The outcome of building and checking one program.
pub enum Outcome {
    Passed,
    Failed(Mismatch),
    DoesNotCompile(String),
}

impl Outcome {
    pub fn passed(&self) -> bool {
        matches!(self, Outcome::Passed)
    }
}

/// `ex1 · <title>   (<file>)`
pub fn heading(exercise: &Exercise, lang: Lang) -> String {
    format!(
        "ex{} · {}   ({})",
        exercise.number,
        lang.text(exercise.title),
        exercise.file
    )
}

/// The outcome, indented under the heading.
pub fn outcome(outcome: &Outcome, lang: Lang) -> String {
    match outcome {
        Outcome::Passed => format!("  ✅ {}", lang.pick("통과!", "passed")),
        Outcome::Failed(mismatch) => format!(
            "  ❌ {}\n{}",
            lang.pick("아직 아닙니다:", "not yet:"),
            mismatch_text(mismatch, lang)
        ),
        Outcome::DoesNotCompile(errors) => format!(
            "  ❌ {}\n{}",
            lang.pick("컴파일되지 않습니다:", "does not compile:"),
            indent(errors, "     ")
        ),
    }
}

/// A mismatch with labels in the learner's language.
pub fn mismatch_text(mismatch: &Mismatch, lang: Lang) -> String {
    format!(
        "     {}\n     {} {}\n     {} {}",
        mismatch.step,
        lang.pick("기대한 것:", "expected:"),
        mismatch.expected,
        lang.pick("받은 것:  ", "received:"),
        mismatch.received
    )
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|line| format!("{prefix}{line}"))
        .collect::<Vec<_>>()
        .join("\n")
}
