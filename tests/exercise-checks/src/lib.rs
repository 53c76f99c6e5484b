//! The exercises of every lesson, and for each one a check that talks to a running binary and says
//! whether it does what the exercise asks.
//!
//! - [`lessons`] lists the lessons and their exercises: number, the learner's file, and the binary
//!   names of the learner's and the solution's version; their titles and graded hints (Korean and
//!   English) are data, in `src/lessonNN.toml` ([`texts`]).
//! - Each exercise has a [`Check`]: an async function that starts a [`Program`] and returns
//!   `Ok(())`, or a [`Mismatch`] saying what was expected and what arrived instead.
//! - [`run`] runs a check so that nothing can escape it: a panic inside the test plumbing (for
//!   example "the body ended") and a check that never finishes both become a [`Mismatch`].
//!
//! `cargo test` runs every check against every solution (`tests/solutions.rs`); the tutor
//! (`cargo tutor check N`) runs them against the learner's files, and `cargo tutor verify` (CI)
//! proves that every check fails on the unsolved files.
//!
//! Adding a lesson's exercises: write `src/lessonNN.rs` like `src/lesson01.rs` (a `lesson()` that
//! lists the exercises, one check function per exercise) and add it to [`lessons`]; write
//! `src/lessonNN.toml` like `src/lesson01.toml` and add it to `texts::FILES`.

pub mod lesson01;
pub mod lesson02;
pub mod lesson03;
pub mod lesson04;
pub mod lesson05;
pub mod lesson06;
pub mod lesson07;
pub mod lesson08;
mod mismatch;
mod mongo;
mod program;
pub mod texts;
pub mod wire;

use std::time::Duration;

use futures::future::BoxFuture;

pub use mismatch::Mismatch;
pub use program::Program;

/// Every lesson that has exercises, in order.
pub fn lessons() -> Vec<LessonExercises> {
    vec![
        lesson01::lesson(),
        lesson02::lesson(),
        lesson03::lesson(),
        lesson04::lesson(),
        lesson05::lesson(),
        lesson06::lesson(),
        lesson07::lesson(),
        lesson08::lesson(),
    ]
}

/// A text in both languages of the course.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text {
    pub ko: &'static str,
    pub en: &'static str,
}

/// Checks one program: `Ok(())` when it does what the exercise asks.
pub type Check = fn(Program) -> BoxFuture<'static, Result<(), Mismatch>>;

/// One lesson's exercises.
#[derive(Clone)]
pub struct LessonExercises {
    pub number: u8,
    pub title: Text,
    pub exercises: Vec<Exercise>,
}

impl LessonExercises {
    /// Lesson `number`, its title from `src/lessonNN.toml`.
    pub fn new(number: u8, exercises: Vec<Exercise>) -> Self {
        LessonExercises {
            number,
            title: texts::lesson_title(number),
            exercises,
        }
    }
}

/// One exercise: where it lives, how it is built, and how it is checked.
#[derive(Clone)]
pub struct Exercise {
    pub lesson: u8,
    pub number: u8,
    pub title: Text,
    /// The hints, one level at a time: a nudge, the concept, the answer.
    pub hints: [Text; texts::HINT_LEVELS],
    /// The file the learner edits, relative to the workspace root.
    pub file: String,
    /// The solved file, relative to the workspace root.
    pub solution_file: String,
    /// Package and binary of the learner's version (`cargo run -p <package> --bin <bin>`).
    pub package: String,
    pub bin: String,
    /// Package and binary of the solution.
    pub solution_package: String,
    pub solution_bin: String,
    pub check: Check,
}

impl Exercise {
    /// An exercise laid out the workspace's way: `lessons/lessonNN/exercises/<stem>.rs` is binary
    /// `lessonNN-exK` of package `lessonNN`, and `solutions/solutionNN/exercises/<stem>.rs` is
    /// binary `solutionNN-exK` of package `solutionNN`. Its title and hints come from
    /// `src/lessonNN.toml`, table `[exK]`.
    pub fn new(lesson: u8, number: u8, stem: &str, check: Check) -> Self {
        let (title, hints) = texts::exercise(lesson, number);
        Exercise::with_texts(lesson, number, stem, title, hints, check)
    }

    /// Like [`Exercise::new`], with the texts given (the tutor's tests use it for their fixtures).
    pub fn with_texts(
        lesson: u8,
        number: u8,
        stem: &str,
        title: Text,
        hints: [Text; texts::HINT_LEVELS],
        check: Check,
    ) -> Self {
        Exercise {
            lesson,
            number,
            title,
            hints,
            file: format!("lessons/lesson{lesson:02}/exercises/{stem}.rs"),
            solution_file: format!("solutions/solution{lesson:02}/exercises/{stem}.rs"),
            package: format!("lesson{lesson:02}"),
            bin: format!("lesson{lesson:02}-ex{number}"),
            solution_package: format!("solution{lesson:02}"),
            solution_bin: format!("solution{lesson:02}-ex{number}"),
            check,
        }
    }

    /// A short name for messages and the progress file, e.g. `lesson02-ex1`.
    pub fn key(&self) -> String {
        format!("lesson{:02}-ex{}", self.lesson, self.number)
    }
}

/// No check may take longer than this, whatever the program does.
pub const WHOLE_CHECK: Duration = Duration::from_secs(60);

/// Runs `check` on `program` in its own task. A panic in the task (the test plumbing panics when,
/// for example, a response ends in the middle of a frame) and a check that takes longer than
/// [`WHOLE_CHECK`] both come back as a [`Mismatch`], never as a panic of the caller.
pub async fn run(check: Check, program: Program) -> Result<(), Mismatch> {
    // Building the workspace's binaries (once, the first time one is asked for) is not part of
    // the check, so it happens before the check's clock starts.
    let program = match program {
        Program::Workspace(name) => {
            match tokio::task::spawn_blocking(move || harness::binaries::path_of(&name)).await {
                Ok(path) => Program::File(path),
                Err(failed) => return Err(Mismatch::stopped(&panic_message(failed))),
            }
        }
        file => file,
    };
    let mut task = tokio::spawn(check(program));
    match tokio::time::timeout(WHOLE_CHECK, &mut task).await {
        Ok(Ok(result)) => result,
        Ok(Err(failed)) => Err(Mismatch::stopped(&panic_message(failed))),
        Err(_) => {
            task.abort();
            Err(Mismatch::new(
                "the whole check",
                &format!("to finish within {WHOLE_CHECK:?}"),
                "it was still running",
            ))
        }
    }
}

fn panic_message(failed: tokio::task::JoinError) -> String {
    if !failed.is_panic() {
        return failed.to_string();
    }
    let payload = failed.into_panic();
    if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else {
        "the check panicked".to_owned()
    }
}
