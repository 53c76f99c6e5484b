//! The tutor on a tiny fixture course (`tests/fixtures/course/`): one exercise that is solved, one
//! that is not, and one that does not compile. The exercise list, the build step, the unsolved
//! texts and the progress file are all injected, so these tests do not touch the real lessons.

use std::path::{Path, PathBuf};

use exercise_checks::{wire, Exercise, LessonExercises, Mismatch, Program, Text};
use tutor::build::Cargo;
use tutor::lang::Lang;
use tutor::Tutor;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/course");
const UNSOLVED: &str = include_str!("fixtures/course/exercises/unsolved.rs");
const SOLVED: &str = include_str!("fixtures/course/exercises/solved.rs");

/// The fixture exercises' check: the first frame of `GET /sse` must be `data: right`.
async fn says_right(program: Program) -> Result<(), Mismatch> {
    let lesson = program.start(&[]).await;
    let mut response = wire::get(&lesson, "/sse").await?;
    wire::expect_frame(
        &mut response,
        "GET /sse, frame 1",
        "data: right\n\n",
        wire::STEP,
    )
    .await
}

/// Exercise `number` of fixture lesson 1: the learner's version is binary `fixture-<name>`
/// (file `exercises/<name>.rs`); the solution is always `fixture-solved`.
fn exercise(number: u8, name: &str) -> Exercise {
    let text = |en: &'static str| Text { ko: en, en };
    Exercise {
        file: format!("exercises/{name}.rs"),
        solution_file: "exercises/solved.rs".into(),
        package: "fixture-course".into(),
        bin: format!("fixture-{name}"),
        solution_package: "fixture-course".into(),
        solution_bin: "fixture-solved".into(),
        ..Exercise::new(
            1,
            number,
            name,
            text("say right"),
            text("write right"),
            |program| Box::pin(says_right(program)),
        )
    }
}

fn course(exercises: Vec<Exercise>) -> Vec<LessonExercises> {
    vec![LessonExercises {
        number: 1,
        title: Text {
            ko: "연습용",
            en: "Fixture",
        },
        exercises,
    }]
}

/// A fresh, empty directory for one test's progress file (and files it writes).
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tutor-test-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn tutor(
    test: &str,
    exercises: Vec<Exercise>,
    pristine: &'static [(&'static str, &'static str)],
    lang: Lang,
) -> Tutor {
    let manifest = Path::new(FIXTURE).join("Cargo.toml");
    let mut builder = Cargo::beside_current_exe(manifest).expect("target dir");
    // The fixture is a workspace of its own: keep its build apart from the main one.
    builder.target_dir = builder.target_dir.join("tutor-fixtures");
    Tutor {
        lessons: course(exercises),
        root: PathBuf::from(FIXTURE),
        builder: Box::new(builder),
        pristine,
        progress_file: scratch(test).join("progress.json"),
        lang,
    }
}

fn three_exercises() -> Vec<Exercise> {
    vec![
        exercise(1, "solved"),
        exercise(2, "unsolved"),
        exercise(3, "broken"),
    ]
}

fn text(out: Vec<u8>) -> String {
    String::from_utf8(out).expect("the tutor writes UTF-8")
}

#[tokio::test]
async fn check_gives_each_exercise_its_state_and_message() {
    let tutor = tutor("check", three_exercises(), &[], Lang::En);

    let mut out = Vec::new();
    assert_eq!(tutor.list(&mut out), Ok(true));
    let listed = text(out);
    assert_eq!(listed.matches("not tried").count(), 3, "{listed}");

    let mut out = Vec::new();
    assert_eq!(tutor.check(1, &mut out).await, Ok(false), "not all passed");
    let checked = text(out);
    assert!(
        checked.contains("ex1 · say right   (exercises/solved.rs)\n  ✅ passed\n"),
        "{checked}"
    );
    assert!(
        checked.contains(
            "ex2 · say right   (exercises/unsolved.rs)\n  ❌ not yet:\n     GET /sse, frame 1\n     expected: \"data: right\\n\\n\"\n     received: \"data: wrong\\n\\n\"\n"
        ),
        "{checked}"
    );
    assert!(
        checked.contains("ex3 · say right   (exercises/broken.rs)\n  ❌ does not compile:\n     error[E0308]: mismatched types"),
        "{checked}"
    );
    assert!(
        checked.ends_with("1/3 passed. Hints: `cargo tutor hint 1`\n"),
        "{checked}"
    );
    assert!(!checked.contains("Compiling"), "no cargo noise: {checked}");
    assert!(!checked.contains("panicked"), "no test noise: {checked}");

    // The states are kept in the progress file, for `list` and `next`.
    let mut out = Vec::new();
    assert_eq!(tutor.list(&mut out), Ok(true));
    let listed = text(out);
    for line in [
        "  ex1 · say right — ✅ passed\n",
        "  ex2 · say right — ❌ failing\n",
        "  ex3 · say right — ❌ does not compile\n",
    ] {
        assert!(listed.contains(line), "{line:?} in {listed}");
    }
    let mut out = Vec::new();
    assert_eq!(tutor.next(&mut out), Ok(true));
    let next = text(out);
    assert!(
        next.starts_with("Next: lesson 01, ex2 · say right (❌ failing)\n"),
        "{next}"
    );
    assert!(
        next.contains("cargo run -p fixture-course --bin fixture-unsolved\n"),
        "{next}"
    );
}

#[tokio::test]
async fn messages_are_in_korean_when_asked() {
    let exercises = vec![exercise(1, "solved"), exercise(2, "unsolved")];
    let tutor = tutor("korean", exercises, &[], Lang::Ko);
    let mut out = Vec::new();
    assert_eq!(tutor.check(1, &mut out).await, Ok(false));
    let checked = text(out);
    assert!(checked.starts_with("레슨 01 · 연습용\n"), "{checked}");
    assert!(checked.contains("  ✅ 통과!\n"), "{checked}");
    assert!(
        checked.contains("  ❌ 아직 아닙니다:\n     GET /sse, frame 1\n     기대한 것: \"data: right\\n\\n\"\n     받은 것:   \"data: wrong\\n\\n\"\n"),
        "{checked}"
    );
}

#[test]
fn lang_comes_from_the_lang_variable() {
    assert_eq!(Lang::from_env_value(Some("ko_KR.UTF-8")), Lang::Ko);
    assert_eq!(Lang::from_env_value(Some("ko")), Lang::Ko);
    assert_eq!(Lang::from_env_value(Some("en_US.UTF-8")), Lang::En);
    assert_eq!(Lang::from_env_value(Some("C")), Lang::En);
    assert_eq!(Lang::from_env_value(None), Lang::En);
}

#[tokio::test]
async fn verify_passes_a_real_exercise_and_catches_one_that_passes_unchanged() {
    const PRISTINE: &[(&str, &str)] = &[
        ("exercises/unsolved.rs", UNSOLVED),
        ("exercises/solved.rs", SOLVED),
    ];
    // ex1 is a proper exercise; ex2's "unsolved" file already passes, which verify must refuse.
    let exercises = vec![exercise(1, "unsolved"), exercise(2, "solved")];
    let tutor = tutor("verify", exercises, PRISTINE, Lang::En);
    let mut out = Vec::new();
    assert_eq!(tutor.verify(&mut out).await, Ok(false));
    let verified = text(out);
    assert!(
        verified.contains("ok       lesson01-ex1: the unsolved file fails, the solution passes\n"),
        "{verified}"
    );
    assert!(
        verified.contains(
            "PROBLEM  lesson01-ex2:\n  the UNSOLVED exercises/solved.rs passes its check"
        ),
        "{verified}"
    );
}

#[tokio::test]
async fn verify_catches_a_file_that_drifted_from_its_unsolved_copy() {
    const PRISTINE: &[(&str, &str)] = &[("exercises/unsolved.rs", "// an older version\n")];
    let tutor = tutor("drift", vec![exercise(1, "unsolved")], PRISTINE, Lang::En);
    let mut out = Vec::new();
    assert_eq!(tutor.verify(&mut out).await, Ok(false));
    let verified = text(out);
    assert!(
        verified.contains("exercises/unsolved.rs differs from its unsolved copy"),
        "{verified}"
    );
}

#[test]
fn reset_restores_the_unsolved_file_and_keeps_the_learners_version() {
    const PRISTINE: &[(&str, &str)] = &[("exercises/unsolved.rs", UNSOLVED)];
    let mut tutor = tutor("reset", vec![exercise(1, "unsolved")], PRISTINE, Lang::En);
    // Work on a copy: reset writes files.
    let root = scratch("reset-root");
    std::fs::create_dir_all(root.join("exercises")).expect("dir");
    std::fs::write(root.join("exercises/unsolved.rs"), "my attempt").expect("write");
    tutor.root = root.clone();

    let mut out = Vec::new();
    assert_eq!(tutor.reset(1, &mut out), Ok(true));
    assert_eq!(
        text(out),
        "exercises/unsolved.rs: restored (your version is kept in .tutor-backup/)\n"
    );
    let restored = std::fs::read_to_string(root.join("exercises/unsolved.rs")).expect("read");
    assert_eq!(restored, UNSOLVED);
    let kept =
        std::fs::read_to_string(root.join(".tutor-backup/exercises/unsolved.rs")).expect("backup");
    assert_eq!(kept, "my attempt");

    let mut out = Vec::new();
    assert_eq!(tutor.reset(1, &mut out), Ok(true));
    assert_eq!(text(out), "exercises/unsolved.rs: already as shipped\n");
}

#[tokio::test]
async fn an_unknown_lesson_is_an_error_that_names_the_known_ones() {
    let tutor = tutor("unknown", three_exercises(), &[], Lang::En);
    let mut out = Vec::new();
    assert_eq!(
        tutor.check(7, &mut out).await,
        Err("lesson 7 has no exercises (lessons with exercises: 1)".to_owned())
    );
    assert_eq!(
        tutor.hint(7, &mut out),
        Err("lesson 7 has no exercises (lessons with exercises: 1)".to_owned())
    );
}
