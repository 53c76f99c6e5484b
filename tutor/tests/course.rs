//! The real course. There is one copy of each unsolved file: the shipped exercise file, which is
//! its solution with the edit block replaced by `unsolved` from `info.toml`. These tests read
//! files the learner never edits (`solutions/`, `info.toml`, the manifests, and the exercise files
//! as committed to git), so a learner's own work cannot make them fail; `cargo tutor verify` (CI)
//! checks the exercise files in the working tree.

mod common;

use std::path::Path;
use std::process::Command;

use common::{text, TempDir};
use tutor::build::{workspace_root, Cargo};
use tutor::lang::Lang;
use tutor::{edit_block, sync, Tutor};

fn exercises() -> Vec<exercise_checks::Exercise> {
    exercise_checks::lessons()
        .into_iter()
        .flat_map(|l| l.exercises)
        .collect()
}

/// `file` as shipped: as committed to git (HEAD), or, without git or before its first commit, as
/// it is in the working tree.
fn shipped(root: &Path, file: &str) -> String {
    let committed = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["show", &format!("HEAD:{file}")])
        .output();
    match committed {
        Ok(output) if output.status.success() => {
            String::from_utf8(output.stdout).unwrap_or_else(|e| panic!("{file}: {e}"))
        }
        _ => std::fs::read_to_string(root.join(file)).unwrap_or_else(|e| panic!("{file}: {e}")),
    }
}

#[test]
fn each_solution_has_one_edit_block_and_its_answer_is_not_the_unsolved_block() {
    let root = workspace_root();
    for exercise in exercises() {
        let solution = std::fs::read_to_string(root.join(&exercise.solution_file))
            .unwrap_or_else(|e| panic!("{}: {e}", exercise.solution_file));
        let split = edit_block::split(&solution)
            .unwrap_or_else(|e| panic!("{}: {e}", exercise.solution_file));
        assert_ne!(
            split.block, exercise.unsolved,
            "{}: the answer is the unsolved block",
            exercise.solution_file
        );
    }
}

#[test]
fn reset_restores_the_shipped_bytes_of_every_exercise() {
    let root = workspace_root();
    // A copy of the course's solutions, and a learner's attempt in every exercise file.
    let scratch = TempDir::new("course-reset");
    let copy = scratch.path().join("course");
    for exercise in exercises() {
        for (file, text) in [
            (
                &exercise.solution_file,
                shipped(&root, &exercise.solution_file),
            ),
            (&exercise.file, "// my attempt\n".to_owned()),
        ] {
            let path = copy.join(file);
            std::fs::create_dir_all(path.parent().expect("a folder")).expect("folders");
            std::fs::write(path, text).expect("write");
        }
    }
    let lessons = exercise_checks::lessons();
    // The copy holds the exercises' files and nothing else; a file no exercise names is found.
    assert_eq!(sync::strays(&copy, &lessons), Vec::new());
    std::fs::write(copy.join("solutions/solution01/exercises/ex3_new.rs"), "").expect("write");
    let strays: Vec<String> = sync::strays(&copy, &lessons)
        .into_iter()
        .map(|stray| stray.path)
        .collect();
    assert_eq!(strays, ["solutions/solution01/exercises/ex3_new.rs"]);
    let tutor = Tutor {
        lessons: lessons.clone(),
        root: copy.clone(),
        builder: Box::new(Cargo::beside_current_exe(copy.join("Cargo.toml")).expect("target")),
        progress_file: scratch.path().join("progress.json"),
        lang: Lang::En,
    };
    for lesson in &lessons {
        let mut out = Vec::new();
        assert_eq!(tutor.reset(lesson.number, &mut out), Ok(true));
        let said = text(out);
        for exercise in &lesson.exercises {
            let restored = std::fs::read_to_string(copy.join(&exercise.file)).expect("restored");
            assert!(
                restored == shipped(&root, &exercise.file),
                "{}: reset does not write the shipped bytes (run `cargo tutor sync --check`)",
                exercise.file
            );
            assert!(said.contains(&format!(
                "{}: restored (your version is kept in",
                exercise.file
            )));
        }
    }
}

#[test]
fn every_solution_file_belongs_to_an_exercise() {
    let strays: Vec<_> = sync::strays(&workspace_root(), &exercise_checks::lessons())
        .into_iter()
        .filter(|stray| stray.path.starts_with("solutions/"))
        .collect();
    assert!(strays.is_empty(), "{strays:?}");
}

#[test]
fn the_manifests_declare_every_exercise_binary_as_sync_writes_them() {
    let root = workspace_root();
    let planned = sync::plan(&root, &exercise_checks::lessons()).expect("a plan");
    let manifests: Vec<_> = planned.into_iter().filter(|p| !p.is_exercise).collect();
    assert_eq!(manifests.len(), 2 * exercise_checks::lessons().len());
    let differences = sync::differences(&root, &manifests);
    assert!(
        differences.is_empty(),
        "run `cargo tutor sync`: {differences:?}"
    );
}
