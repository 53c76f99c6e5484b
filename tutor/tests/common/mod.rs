//! Plumbing shared by the tutor's tests: the fixture course (`tests/fixtures/course/`) and
//! temporary folders that are removed when the test ends, also when it panics.

// Each test file uses a different part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use exercise_checks::{expect, Exercise, LessonExercises, Mismatch, Program, Text};
use tutor::build::Cargo;
use tutor::lang::Lang;
use tutor::Tutor;

pub const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/course");
pub const UNSOLVED: &str = include_str!("../fixtures/course/exercises/unsolved.rs");
pub const SOLVED: &str = include_str!("../fixtures/course/exercises/solved.rs");
pub const BROKEN: &str = include_str!("../fixtures/course/exercises/broken.rs");

/// A folder of its own under the system's temp folder, removed with everything in it when this
/// value is dropped: at the end of the test, or while a failed assertion unwinds.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(test: &str) -> TempDir {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("tutor-test-{}-{n}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temp folder");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The fixture exercises' check: the first frame of `GET /sse` must be `data: right`.
async fn says_right(program: Program) -> Result<(), Mismatch> {
    let lesson = program.start(&[]).await;
    let mut response = expect::get(&lesson, "/sse").await?;
    expect::frame(
        &mut response,
        "GET /sse, frame 1",
        "data: right\n\n",
        expect::STEP,
    )
    .await
}

/// Exercise `number` of fixture lesson 1: the learner's version is binary `fixture-<name>`
/// (file `exercises/<name>.rs`); the solution is always `fixture-solved`. Its `unsolved` block is
/// the one in `exercises/<name>.rs`, so the unsolved text regenerated from the solution is that
/// file, byte for byte.
pub fn exercise(number: u8, name: &str) -> Exercise {
    let text = |en: &'static str| Text { ko: en, en };
    let file = std::fs::read_to_string(Path::new(FIXTURE).join(format!("exercises/{name}.rs")))
        .expect("a fixture exercise");
    let block = tutor::edit_block::split(&file)
        .expect("the fixture's edit block")
        .block
        .to_owned();
    Exercise {
        lesson: 1,
        number,
        title: text("say right"),
        hints: [
            text("look at the data"),
            text("the word is wrong"),
            text("write right"),
        ],
        file: format!("exercises/{name}.rs"),
        solution_file: "exercises/solved.rs".into(),
        unsolved: Box::leak(block.into_boxed_str()),
        package: "fixture-course".into(),
        bin: format!("fixture-{name}"),
        solution_package: "fixture-course".into(),
        solution_bin: "fixture-solved".into(),
        check: |program| Box::pin(says_right(program)),
    }
}

pub fn course(exercises: Vec<Exercise>) -> Vec<LessonExercises> {
    vec![LessonExercises {
        number: 1,
        title: Text {
            ko: "연습용",
            en: "Fixture",
        },
        exercises,
        // The fixture's Cargo.toml lists its binaries itself: `sync` writes only its exercise files.
        manifests: Vec::new(),
    }]
}

pub fn three_exercises() -> Vec<Exercise> {
    vec![
        exercise(1, "solved"),
        exercise(2, "unsolved"),
        exercise(3, "broken"),
    ]
}

/// A tutor on the fixture course in place (`tests/fixtures/course/`, which it only reads),
/// with its progress file in `scratch`.
pub fn tutor(scratch: &TempDir, exercises: Vec<Exercise>, lang: Lang) -> Tutor {
    let manifest = Path::new(FIXTURE).join("Cargo.toml");
    let mut builder = Cargo::beside_current_exe(manifest).expect("target dir");
    // The fixture is a workspace of its own: keep its build apart from the main one.
    builder.target_dir = builder.target_dir.join("tutor-fixtures");
    Tutor {
        lessons: course(exercises),
        root: PathBuf::from(FIXTURE),
        builder: Box::new(builder),
        progress_file: scratch.path().join("progress.json"),
        lang,
    }
}

/// A tutor on a copy of the fixture course in `scratch/course` (its files may be changed), built
/// into `scratch/target`: a copy's binaries must not replace those of the course in place, which
/// other tests run at the same time.
pub fn tutor_on_a_copy(scratch: &TempDir, exercises: Vec<Exercise>, lang: Lang) -> Tutor {
    let root = scratch.path().join("course");
    std::fs::create_dir_all(root.join("exercises")).expect("course folder");
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        "exercises/server.rs",
        "exercises/solved.rs",
        "exercises/unsolved.rs",
        "exercises/broken.rs",
    ] {
        std::fs::copy(Path::new(FIXTURE).join(file), root.join(file)).expect("copy the course");
    }
    let mut tutor = tutor(scratch, exercises, lang);
    tutor.root = root.clone();
    let mut builder = Cargo::beside_current_exe(root.join("Cargo.toml")).expect("target dir");
    builder.target_dir = scratch.path().join("target");
    tutor.builder = Box::new(builder);
    tutor
}

pub fn text(out: Vec<u8>) -> String {
    String::from_utf8(out).expect("the tutor writes UTF-8")
}
