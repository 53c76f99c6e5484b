//! The tutor on a tiny fixture course (`tests/fixtures/course/`): one exercise that is solved, one
//! that is not, and one that does not compile. The exercise list, the build step, the unsolved
//! texts and the progress file are all injected, so these tests do not touch the real lessons.

mod common;

use common::{exercise, text, three_exercises, tutor, tutor_on_a_copy, TempDir, SOLVED, UNSOLVED};
use exercise_checks::Exercise;
use tutor::lang::Lang;

#[tokio::test]
async fn check_gives_each_exercise_its_state_and_message() {
    let scratch = TempDir::new("check");
    let tutor = tutor(&scratch, three_exercises(), Lang::En);

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
        checked.ends_with("1/3 passed. Hints, one level at a time: `cargo tutor hint 1`\n"),
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
        next.starts_with("Next: lesson 01, ex2 · say right — ❌ failing\n"),
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
    let scratch = TempDir::new("korean");
    let tutor = tutor(&scratch, exercises, Lang::Ko);
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
    // ex1 is a proper exercise; ex2's "unsolved" file already passes, which verify must refuse.
    let exercises = vec![exercise(1, "unsolved"), exercise(2, "solved")];
    let scratch = TempDir::new("verify");
    let tutor = tutor(&scratch, exercises, Lang::En);
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
async fn verify_catches_a_file_that_is_not_its_solution_with_the_unsolved_block() {
    // info.toml's block says one thing, the shipped file another.
    let drifted = Exercise {
        unsolved: "    // an older version\n",
        ..exercise(1, "unsolved")
    };
    let scratch = TempDir::new("drift");
    let tutor = tutor(&scratch, vec![drifted], Lang::En);
    let mut out = Vec::new();
    assert_eq!(tutor.verify(&mut out).await, Ok(false));
    let verified = text(out);
    assert!(
        verified.starts_with("PROBLEM  exercises/unsolved.rs: not what `cargo tutor sync` writes: its edit block is not `unsolved` in info.toml; if the file is right, info.toml's [exK] gets\nunsolved = '''\n    server::serve(\"data: wrong\\n\\n\");\n'''\n"),
        "{verified}"
    );
    // sync --check says the same, and sync writes the file from the solution and the block.
    let scratch = TempDir::new("drift-sync");
    let drifted = Exercise {
        unsolved: "    // an older version\n",
        ..exercise(1, "unsolved")
    };
    let tutor = tutor_on_a_copy(&scratch, vec![drifted], Lang::En);
    let mut out = Vec::new();
    assert_eq!(tutor.sync(true, &mut out), Ok(false));
    assert!(text(out).starts_with("differs  exercises/unsolved.rs: its edit block"));
    let mut out = Vec::new();
    assert_eq!(tutor.sync(false, &mut out), Ok(true));
    let said = text(out);
    assert!(
        said.starts_with("wrote    exercises/unsolved.rs (the old one is kept in .tutor-backup/"),
        "{said}"
    );
    assert_eq!(
        std::fs::read_to_string(tutor.root.join("exercises/unsolved.rs")).expect("written"),
        SOLVED.replace(
            "    server::serve(\"data: right\\n\\n\");\n",
            "    // an older version\n"
        )
    );
    let mut out = Vec::new();
    assert_eq!(tutor.sync(true, &mut out), Ok(true));
    assert_eq!(
        text(out),
        "in sync: every exercise file and exercise [[bin]]\n"
    );
}

#[test]
fn reset_restores_the_unsolved_file_and_keeps_each_of_the_learners_versions() {
    // Work on a copy: reset writes files.
    let scratch = TempDir::new("reset");
    let tutor = tutor_on_a_copy(&scratch, vec![exercise(1, "unsolved")], Lang::En);
    let file = tutor.root.join("exercises/unsolved.rs");
    let backups = tutor.root.join(".tutor-backup");

    let mut kept = Vec::new();
    for attempt in ["my attempt", "my second attempt"] {
        std::fs::write(&file, attempt).expect("write");
        let mut out = Vec::new();
        assert_eq!(tutor.reset(1, &mut out), Ok(true));
        let said = text(out);
        assert!(
            said.starts_with(
                "exercises/unsolved.rs: restored (your version is kept in .tutor-backup/"
            ) && said.ends_with("/)\n"),
            "{said}"
        );
        assert_eq!(std::fs::read_to_string(&file).expect("read"), UNSOLVED);
        // The folder the message names holds this attempt.
        let folder = said
            .trim_end()
            .trim_end_matches("/)")
            .rsplit(' ')
            .next()
            .expect("a folder");
        let backup = tutor.root.join(folder).join("exercises/unsolved.rs");
        assert_eq!(std::fs::read_to_string(&backup).expect("backup"), attempt);
        kept.push(folder.to_owned());
    }
    assert_ne!(kept[0], kept[1], "each reset has its own folder");
    let folders = std::fs::read_dir(&backups).expect("backups").count();
    assert_eq!(folders, 2, "both attempts are kept");

    let mut out = Vec::new();
    assert_eq!(tutor.reset(1, &mut out), Ok(true));
    assert_eq!(text(out), "exercises/unsolved.rs: already as shipped\n");
}

#[tokio::test]
async fn list_says_when_a_file_changed_since_its_check() {
    let scratch = TempDir::new("changed");
    let exercises = vec![exercise(1, "solved"), exercise(2, "unsolved")];
    let tutor = tutor_on_a_copy(&scratch, exercises, Lang::En);
    let mut out = Vec::new();
    assert_eq!(tutor.check(1, &mut out).await, Ok(false));

    let listed = |tutor: &tutor::Tutor| {
        let mut out = Vec::new();
        assert_eq!(tutor.list(&mut out), Ok(true));
        text(out)
    };
    let before = listed(&tutor);
    assert!(
        before.contains("  ex1 · say right — ✅ passed\n"),
        "{before}"
    );
    assert!(
        before.contains("  ex2 · say right — ❌ failing\n"),
        "{before}"
    );

    // The learner breaks the passed file and fixes the failing one, and checks nothing.
    std::fs::write(tutor.root.join("exercises/solved.rs"), UNSOLVED).expect("write");
    std::fs::write(tutor.root.join("exercises/unsolved.rs"), SOLVED).expect("write");
    let after = listed(&tutor);
    assert!(
        after.contains("  ex1 · say right — ✅ passed (file changed since)\n"),
        "{after}"
    );
    assert!(
        after.contains("  ex2 · say right — ❌ failing (file changed since)\n"),
        "{after}"
    );
    // `next` no longer counts ex1 as done.
    let mut out = Vec::new();
    assert_eq!(tutor.next(&mut out), Ok(true));
    let next = text(out);
    assert!(
        next.starts_with("Next: lesson 01, ex1 · say right — ✅ passed (file changed since)\n"),
        "{next}"
    );
}

#[tokio::test]
async fn an_unknown_lesson_is_an_error_that_names_the_known_ones() {
    let scratch = TempDir::new("unknown");
    let tutor = tutor(&scratch, three_exercises(), Lang::En);
    let mut out = Vec::new();
    assert_eq!(
        tutor.check(7, &mut out).await,
        Err("lesson 7 has no exercises (lessons with exercises: 1)".to_owned())
    );
    assert_eq!(
        tutor.hint(7, None, false, &mut out),
        Err("lesson 7 has no exercises (lessons with exercises: 1)".to_owned())
    );
}

#[test]
fn hints_come_one_level_at_a_time_and_each_exercise_keeps_its_own_level() {
    let scratch = TempDir::new("hints");
    let tutor = tutor(&scratch, three_exercises(), Lang::En);
    let hint = |exercise: Option<u8>, all: bool| {
        let mut out = Vec::new();
        assert_eq!(tutor.hint(1, exercise, all, &mut out), Ok(true));
        text(out)
    };
    let heading = "Lesson 01 · Fixture\n\nex2 · say right   (exercises/unsolved.rs)\n";
    let nudge = "  💡 1/3 nudge: look at the data\n";
    let concept = "  💡 2/3 concept: the word is wrong\n";
    let answer = "  💡 3/3 answer: write right\n";

    assert_eq!(
        hint(Some(2), false),
        format!("{heading}{nudge}  the next hint (concept): run `cargo tutor hint 1 2` again · every level at once: `cargo tutor hint 1 2 --all`\n")
    );
    assert_eq!(
        hint(Some(2), false),
        format!("{heading}{nudge}{concept}  the next hint (answer): run `cargo tutor hint 1 2` again · every level at once: `cargo tutor hint 1 2 --all`\n")
    );
    let last = format!(
        "{heading}{nudge}{concept}{answer}  That was the last hint. The solution: exercises/solved.rs\n"
    );
    assert_eq!(hint(Some(2), false), last);
    assert_eq!(
        hint(Some(2), false),
        last,
        "the answer stays the last level"
    );

    // ex1 has its own level: still the nudge first. Without a number, the lesson's first
    // exercise not passed is meant (nothing is checked yet: ex1).
    let first = hint(None, false);
    assert!(
        first.contains("ex1 · say right   (exercises/solved.rs)\n  💡 1/3 nudge: look at the data\n  the next hint"),
        "{first}"
    );
    assert!(!first.contains("concept:"), "{first}");

    // --all: every level of every exercise.
    let all = hint(None, true);
    assert_eq!(all.matches(answer).count(), 3, "{all}");
    assert_eq!(all.matches(nudge).count(), 3, "{all}");

    let mut out = Vec::new();
    assert_eq!(
        tutor.hint(1, Some(9), false, &mut out),
        Err("lesson 1 has no exercise 9 (its exercises: 1, 2, 3)".to_owned())
    );
}
