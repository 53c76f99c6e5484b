//! The real course: every exercise has an unsolved copy in the tutor, and its solution differs
//! from it only between the `✏️ EDIT HERE` and `✏️ END OF EDIT` lines (so a diff shows exactly
//! the answer). These compare files the learner never edits (`tutor/pristine/`, `solutions/`),
//! so a learner's own work cannot make them fail; `cargo tutor verify` (CI) checks the learner's
//! copies in `lessons/` against `tutor/pristine/`.

use std::path::Path;

use tutor::pristine::FILES;

const EDIT_START: &str = "// ✏️ EDIT HERE · 여기를 고치세요";
const EDIT_END: &str = "// ✏️ END OF EDIT · 여기까지";

/// (before the block, the block, after the block), or a message saying why the markers are wrong.
fn split_at_edit_block(text: &str) -> Result<(String, String, String), String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let starts: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].trim_start().starts_with(EDIT_START))
        .collect();
    let ends: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].trim_start().starts_with(EDIT_END))
        .collect();
    match (starts.as_slice(), ends.as_slice()) {
        ([start], [end]) if start < end => Ok((
            lines[..=*start].concat(),
            lines[start + 1..*end].concat(),
            lines[*end..].concat(),
        )),
        _ => Err(format!(
            "expected one `{EDIT_START}` line and, after it, one `{EDIT_END}` line; found starts at {starts:?}, ends at {ends:?}"
        )),
    }
}

#[test]
fn every_exercise_has_exactly_one_unsolved_copy_and_every_copy_an_exercise() {
    let exercises: Vec<_> = exercise_checks::lessons()
        .into_iter()
        .flat_map(|l| l.exercises)
        .collect();
    for exercise in &exercises {
        let copies = FILES
            .iter()
            .filter(|(path, _)| *path == exercise.file)
            .count();
        assert_eq!(
            copies, 1,
            "{} needs one copy in tutor/pristine/, listed in tutor/src/pristine.rs",
            exercise.file
        );
    }
    for (path, _) in FILES {
        assert!(
            exercises.iter().any(|e| e.file == *path),
            "{path} is in tutor/src/pristine.rs but is no exercise in exercise-checks"
        );
    }
}

#[test]
fn each_solution_differs_from_the_unsolved_file_only_in_the_edit_block() {
    let root = tutor::build::workspace_root();
    for exercise in exercise_checks::lessons()
        .into_iter()
        .flat_map(|l| l.exercises)
    {
        let unsolved = FILES
            .iter()
            .find(|(path, _)| *path == exercise.file)
            .map(|(_, text)| *text)
            .unwrap_or_else(|| panic!("no unsolved copy of {}", exercise.file));
        let solution = std::fs::read_to_string(Path::new(&root).join(&exercise.solution_file))
            .unwrap_or_else(|e| panic!("{}: {e}", exercise.solution_file));
        let (before, question, after) =
            split_at_edit_block(unsolved).unwrap_or_else(|e| panic!("{}: {e}", exercise.file));
        let (solved_before, answer, solved_after) = split_at_edit_block(&solution)
            .unwrap_or_else(|e| panic!("{}: {e}", exercise.solution_file));
        assert_eq!(
            before, solved_before,
            "{}: above the block",
            exercise.solution_file
        );
        assert_eq!(
            after, solved_after,
            "{}: below the block",
            exercise.solution_file
        );
        assert_ne!(question, answer, "{}: the answer", exercise.solution_file);
    }
}

#[test]
fn the_markers_are_found_and_misplaced_ones_are_refused() {
    let good = format!("a\n    {EDIT_START} ───\nx\n    {EDIT_END} ───\nb\n");
    let (before, block, after) = split_at_edit_block(&good).expect("one block");
    assert!(before.ends_with("───\n") && before.starts_with("a\n"));
    assert_eq!(block, "x\n");
    assert!(after.ends_with("b\n"));
    assert!(split_at_edit_block("no markers\n").is_err());
    let twice = format!("{EDIT_START}\n{EDIT_END}\n{EDIT_START}\n{EDIT_END}\n");
    assert!(split_at_edit_block(&twice).is_err());
    let reversed = format!("{EDIT_END}\n{EDIT_START}\n");
    assert!(split_at_edit_block(&reversed).is_err());
}
