//! The exercises of every lesson, and for each one a check that talks to a running binary and says
//! whether it does what the exercise asks.
//!
//! - Each lesson's exercises are data, in `lessons/lessonNN/exercises/info.toml` ([`info`]): the
//!   lesson's title and, per exercise `[exK]`, its file, its title, graded hints (Korean and
//!   English) and `unsolved`, its edit block as shipped.
//! - Each exercise has a [`Check`], code in `src/lessonNN.rs`: an async function that starts a
//!   [`Program`] and returns `Ok(())`, or a [`Mismatch`] saying what was expected and what arrived
//!   instead. The steps it takes are in [`expect`]. `CHECKS` pairs each exercise number with its
//!   check.
//! - `course!` (below) is the list of lessons; [`lessons`] joins each `info.toml` with its
//!   `CHECKS`, and refuses an exercise without a check or a check without an exercise.
//! - [`run`] runs a check so that nothing can escape it: a panic inside the test plumbing (for
//!   example "the body ended") and a check that never finishes both become a [`Mismatch`].
//!
//! `cargo test` runs every check against every solution (`tests/solutions.rs`); the tutor
//! (`cargo tutor check N`) runs them against the learner's files, and `cargo tutor verify` (CI)
//! proves that every check fails on the unsolved files.
//!
//! Registering a lesson's exercises: write `lessons/lessonNN/exercises/info.toml` (like lesson01's),
//! write `src/lessonNN.rs` (like `src/lesson01.rs`: one check function per exercise and
//! `pub const CHECKS: &[(u8, Check)]`), add `lessonNN` to the `course!` list below, then run
//! `cargo tutor sync` (it writes the `[[bin]]` blocks and the unsolved files).

pub mod expect;
pub mod info;
mod mismatch;
mod mongo;
mod program;

use std::sync::OnceLock;
use std::time::Duration;

use futures::future::BoxFuture;

pub use mismatch::Mismatch;
pub use program::Program;

/// One registered lesson: its folder name, its `info.toml` and its checks.
struct Registered {
    name: &'static str,
    info: &'static str,
    checks: &'static [(u8, Check)],
}

/// `course!(lesson01, lesson02)` declares the modules `src/lesson01.rs`, ... and lists each
/// lesson with its `lessons/lessonNN/exercises/info.toml` and its `CHECKS`.
///
/// The `info.toml` files are built in with `include_str!`, not read at run time: the texts are
/// then `&'static str` like the rest of an [`Exercise`], `lessons()` needs no workspace path and
/// cannot fail on a missing file, and cargo rebuilds this crate when an `info.toml` changes, so
/// `cargo test` always reads the files as they are.
macro_rules! course {
    ($($lesson:ident),+ $(,)?) => {
        $(pub mod $lesson;)+

        const COURSE: &[Registered] = &[$(Registered {
            name: stringify!($lesson),
            info: include_str!(concat!(
                "../../../lessons/", stringify!($lesson), "/exercises/info.toml"
            )),
            checks: $lesson::CHECKS,
        }),+];
    };
}

course!(lesson01, lesson02, lesson03, lesson04, lesson05, lesson06, lesson07, lesson08);

/// Every lesson that has exercises, in order. Panics on a broken `info.toml` or a check without an
/// exercise (`cargo test -p exercise-checks` reads them all, so none ships; the tutor calls
/// [`try_lessons`] and prints the message instead).
pub fn lessons() -> Vec<LessonExercises> {
    try_lessons().unwrap_or_else(|e| panic!("{e}"))
}

/// Every lesson that has exercises, in order, or what is wrong with one of them.
pub fn try_lessons() -> Result<Vec<LessonExercises>, String> {
    // Parsed once and kept, so that the texts can be handed out as `&'static str`.
    static PARSED: OnceLock<Vec<Result<info::LessonInfo, String>>> = OnceLock::new();
    let parsed = PARSED.get_or_init(|| COURSE.iter().map(|l| info::parse(l.info)).collect());
    COURSE
        .iter()
        .zip(parsed)
        .map(|(registered, info)| {
            let file = format!("lessons/{}/exercises/info.toml", registered.name);
            let info = info.as_ref().map_err(|e| format!("{file}: {e}"))?;
            LessonExercises::from_info(registered, info).map_err(|e| format!("{file}: {e}"))
        })
        .collect()
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
    /// The manifests whose exercise `[[bin]]` blocks `cargo tutor sync` writes:
    /// `lessons/lessonNN/Cargo.toml` and `solutions/solutionNN/Cargo.toml` (none for the tutor's
    /// test fixture).
    pub manifests: Vec<Manifest>,
}

/// A package manifest that declares exercise binaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Relative to the workspace root, e.g. `lessons/lesson01/Cargo.toml`.
    pub path: String,
    /// `false`: the learner's binaries (`lessonNN-exK`); `true`: the solutions' (`solutionNN-exK`).
    pub solutions: bool,
}

impl LessonExercises {
    /// Joins lesson `registered`'s `info.toml` with its checks, by exercise number.
    fn from_info(
        registered: &Registered,
        info: &'static info::LessonInfo,
    ) -> Result<LessonExercises, String> {
        let number = registered
            .name
            .strip_prefix("lesson")
            .and_then(|n| n.parse::<u8>().ok())
            .ok_or_else(|| {
                format!(
                    "a lesson's folder is named lessonNN, not {}",
                    registered.name
                )
            })?;
        let checks_file = format!("tests/exercise-checks/src/{}.rs", registered.name);
        let mut exercises = Vec::new();
        for (k, exercise) in &info.exercises {
            let check = registered
                .checks
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, check)| *check)
                .ok_or_else(|| format!("[ex{k}] has no check in the CHECKS of {checks_file}"))?;
            exercises.push(Exercise::in_course(number, *k, exercise, check));
        }
        for (k, _) in registered.checks {
            if !info.exercises.contains_key(k) {
                return Err(format!(
                    "{checks_file} has a check for exercise {k}, but there is no [ex{k}]"
                ));
            }
        }
        Ok(LessonExercises {
            number,
            title: info.title.text(),
            exercises,
            manifests: vec![
                Manifest {
                    path: format!("lessons/lesson{number:02}/Cargo.toml"),
                    solutions: false,
                },
                Manifest {
                    path: format!("solutions/solution{number:02}/Cargo.toml"),
                    solutions: true,
                },
            ],
        })
    }
}

/// One exercise: where it lives, how it is built, and how it is checked.
#[derive(Clone)]
pub struct Exercise {
    pub lesson: u8,
    pub number: u8,
    pub title: Text,
    /// The hints, one level at a time: a nudge, the concept, the answer.
    pub hints: [Text; info::HINT_LEVELS],
    /// The file the learner edits, relative to the workspace root.
    pub file: String,
    /// The solved file, relative to the workspace root.
    pub solution_file: String,
    /// The lines between the `✏️ EDIT HERE` and `✏️ END OF EDIT` lines of the unsolved file: the
    /// unsolved file is the solution with its edit block replaced by these.
    pub unsolved: &'static str,
    /// Package and binary of the learner's version (`cargo run -p <package> --bin <bin>`).
    pub package: String,
    pub bin: String,
    /// Package and binary of the solution.
    pub solution_package: String,
    pub solution_bin: String,
    pub check: Check,
}

impl Exercise {
    /// An exercise laid out the workspace's way: `lessons/lessonNN/exercises/<file>` is binary
    /// `lessonNN-exK` of package `lessonNN`, and `solutions/solutionNN/exercises/<file>` is
    /// binary `solutionNN-exK` of package `solutionNN`.
    fn in_course(
        lesson: u8,
        number: u8,
        info: &'static info::ExerciseInfo,
        check: Check,
    ) -> Exercise {
        Exercise {
            lesson,
            number,
            title: info.title.text(),
            hints: info.hints(),
            file: format!("lessons/lesson{lesson:02}/exercises/{}", info.file),
            solution_file: format!("solutions/solution{lesson:02}/exercises/{}", info.file),
            unsolved: &info.unsolved,
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

#[cfg(test)]
mod tests {
    use super::*;

    const ONE_EXERCISE: &str = r#"
        title = { ko = "제목", en = "Title" }
        [ex1]
        file = "ex1_a.rs"
        title = { ko = "a", en = "a" }
        nudge = { ko = "b", en = "b" }
        concept = { ko = "c", en = "c" }
        answer = { ko = "d", en = "d" }
        unsolved = ""
    "#;

    fn registered(checks: &'static [(u8, Check)]) -> Result<LessonExercises, String> {
        let info = Box::leak(Box::new(info::parse(ONE_EXERCISE).expect("parses")));
        let registered = Registered {
            name: "lesson09",
            info: ONE_EXERCISE,
            checks,
        };
        LessonExercises::from_info(&registered, info)
    }

    #[test]
    fn the_course_reads() {
        let lessons = try_lessons().expect("every info.toml and its CHECKS");
        let numbers: Vec<u8> = lessons.iter().map(|l| l.number).collect();
        assert_eq!(numbers, (1..=8).collect::<Vec<u8>>());
        let first = &lessons[0].exercises[0];
        assert_eq!(first.file, "lessons/lesson01/exercises/ex1_framed.rs");
        assert_eq!(first.bin, "lesson01-ex1");
    }

    #[test]
    fn an_exercise_without_a_check_and_a_check_without_an_exercise_are_refused() {
        const ONE: &[(u8, Check)] = &[(1, |program| {
            Box::pin(async move {
                drop(program);
                Ok(())
            })
        })];
        const TWO: &[(u8, Check)] = &[
            (1, |program| {
                Box::pin(async move {
                    drop(program);
                    Ok(())
                })
            }),
            (2, |program| {
                Box::pin(async move {
                    drop(program);
                    Ok(())
                })
            }),
        ];
        let lesson = registered(ONE).expect("one exercise, one check");
        assert_eq!(lesson.number, 9);
        assert_eq!(lesson.exercises[0].solution_bin, "solution09-ex1");
        assert_eq!(
            registered(&[]).err(),
            Some(
                "[ex1] has no check in the CHECKS of tests/exercise-checks/src/lesson09.rs"
                    .to_owned()
            )
        );
        assert_eq!(
            registered(TWO).err(),
            Some("tests/exercise-checks/src/lesson09.rs has a check for exercise 2, but there is no [ex2]".to_owned())
        );
    }
}
