//! `cargo tutor sync [--check]`: writes what follows from the exercises' data, so that adding an
//! exercise is its solution file, its `[exK]` in `info.toml`, its check, and this command.
//!
//! - Each exercise file `lessons/lessonNN/exercises/<file>`: the solution
//!   (`solutions/solutionNN/exercises/<file>`) with its edit block replaced by `unsolved` from
//!   `info.toml` ([`crate::edit_block`]).
//! - In `lessons/lessonNN/Cargo.toml` and `solutions/solutionNN/Cargo.toml`, the lines between
//!   [`MANIFEST_START`] and [`MANIFEST_END`]: one `[[bin]]` per exercise.
//!
//! `--check` (and `cargo tutor verify`) writes nothing and lists the files that differ.

use std::path::Path;

use exercise_checks::{Exercise, LessonExercises, Manifest};

use crate::edit_block;

/// The line above the exercises' `[[bin]]` blocks in a manifest.
pub const MANIFEST_START: &str =
    "# --- exercises: written by `cargo tutor sync` from exercises/info.toml ---";
/// The line below them.
pub const MANIFEST_END: &str = "# --- end of exercises ---";

/// A file as `sync` writes it.
#[derive(Debug)]
pub struct Planned {
    /// Relative to the workspace root.
    pub path: String,
    pub text: String,
    /// An exercise file (the learner edits it: `sync` keeps a changed one in `.tutor-backup/`), or
    /// a manifest.
    pub is_exercise: bool,
}

/// A file that is not what `sync` writes, and how.
#[derive(Debug, PartialEq, Eq)]
pub struct Difference {
    pub path: String,
    pub why: String,
}

/// The unsolved text of `exercise`: its solution with its edit block replaced.
pub fn unsolved_text(root: &Path, exercise: &Exercise) -> Result<String, String> {
    let solution = std::fs::read_to_string(root.join(&exercise.solution_file))
        .map_err(|e| format!("{}: {e}", exercise.solution_file))?;
    edit_block::unsolved(&solution, exercise.unsolved)
        .map_err(|e| format!("{}: {e}", exercise.solution_file))
}

/// Every file `sync` writes, with its text.
pub fn plan(root: &Path, lessons: &[LessonExercises]) -> Result<Vec<Planned>, String> {
    let mut planned = Vec::new();
    for lesson in lessons {
        for exercise in &lesson.exercises {
            planned.push(Planned {
                path: exercise.file.clone(),
                text: unsolved_text(root, exercise)?,
                is_exercise: true,
            });
        }
        for manifest in &lesson.manifests {
            let current = std::fs::read_to_string(root.join(&manifest.path))
                .map_err(|e| format!("{}: {e}", manifest.path))?;
            let bins = bins(manifest, &lesson.exercises)?;
            planned.push(Planned {
                path: manifest.path.clone(),
                text: with_bins(&current, &bins).map_err(|e| format!("{}: {e}", manifest.path))?,
                is_exercise: false,
            });
        }
    }
    Ok(planned)
}

/// The (name, path relative to the manifest) of each exercise binary `manifest` declares.
fn bins(manifest: &Manifest, exercises: &[Exercise]) -> Result<Vec<(String, String)>, String> {
    let dir = manifest
        .path
        .strip_suffix("Cargo.toml")
        .ok_or_else(|| format!("{} is not a Cargo.toml", manifest.path))?;
    exercises
        .iter()
        .map(|exercise| {
            let (name, file) = if manifest.solutions {
                (&exercise.solution_bin, &exercise.solution_file)
            } else {
                (&exercise.bin, &exercise.file)
            };
            let path = file
                .strip_prefix(dir)
                .ok_or_else(|| format!("{file} is not in the folder of {}", manifest.path))?;
            Ok((name.clone(), path.to_owned()))
        })
        .collect()
}

/// `manifest` with the lines between its marker lines replaced by one `[[bin]]` per entry of
/// `bins` (name, path). `test = false`: an exercise has no unit tests of its own; its check lives
/// in tests/exercise-checks.
pub fn with_bins(manifest: &str, bins: &[(String, String)]) -> Result<String, String> {
    let lines: Vec<&str> = manifest.split_inclusive('\n').collect();
    let is = |line: &str, marker: &str| line.trim_end() == marker;
    let start = lines.iter().position(|l| is(l, MANIFEST_START));
    let end = lines.iter().position(|l| is(l, MANIFEST_END));
    let (Some(start), Some(end)) = (start, end) else {
        return Err(format!(
            "no `{MANIFEST_START}` line and, below it, `{MANIFEST_END}` line: put the two where the exercises' [[bin]]s go"
        ));
    };
    if start > end {
        return Err(format!("`{MANIFEST_END}` comes before `{MANIFEST_START}`"));
    }
    let blocks: Vec<String> = bins
        .iter()
        .map(|(name, path)| {
            format!("[[bin]]\nname = \"{name}\"\npath = \"{path}\"\ntest = false\n")
        })
        .collect();
    Ok(format!(
        "{}{}{}",
        lines[..=start].concat(),
        blocks.join("\n"),
        lines[end..].concat()
    ))
}

/// The planned files that differ from the ones under `root`, and how.
pub fn differences(root: &Path, planned: &[Planned]) -> Vec<Difference> {
    planned
        .iter()
        .filter_map(|file| {
            let current = std::fs::read_to_string(root.join(&file.path)).ok();
            let why = match current {
                None => "missing".to_owned(),
                Some(current) if current == file.text => return None,
                Some(current) if file.is_exercise => exercise_difference(&current, &file.text),
                Some(_) => "its exercise [[bin]]s are not the ones info.toml lists".to_owned(),
            };
            Some(Difference {
                path: file.path.clone(),
                why,
            })
        })
        .collect()
}

/// Files in a lesson's or a solution's exercise folder that no exercise names (an exercise file
/// without its `[exK]` in `info.toml` is never built, checked or reset). Hidden files are left out.
pub fn strays(root: &Path, lessons: &[LessonExercises]) -> Vec<Difference> {
    let mut strays = Vec::new();
    for lesson in lessons.iter().filter(|l| !l.manifests.is_empty()) {
        let named: Vec<&str> = lesson
            .exercises
            .iter()
            .flat_map(|e| [e.file.as_str(), e.solution_file.as_str()])
            .collect();
        let mut folders: Vec<&str> = named
            .iter()
            .filter_map(|file| file.rsplit_once('/').map(|(folder, _)| folder))
            .collect();
        folders.sort_unstable();
        folders.dedup();
        for folder in folders {
            let Ok(entries) = std::fs::read_dir(root.join(folder)) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(|entry| entry.ok())
                .filter(|entry| entry.path().is_file())
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .filter(|name| !name.starts_with('.') && name != "info.toml")
                .collect();
            names.sort();
            for name in names {
                let path = format!("{folder}/{name}");
                if !named.contains(&path.as_str()) {
                    strays.push(Difference {
                        path,
                        why: "no exercise in info.toml names this file".to_owned(),
                    });
                }
            }
        }
    }
    strays
}

/// Says where an exercise file differs from its planned text; when only the edit block does, it
/// shows the file's block as the `unsolved` value to put in info.toml if the file is the one meant.
fn exercise_difference(current: &str, planned: &str) -> String {
    match (edit_block::split(current), edit_block::split(planned)) {
        (Ok(file), Ok(want)) if file.before == want.before && file.after == want.after => {
            format!(
                "its edit block is not `unsolved` in info.toml; if the file is right, info.toml's [exK] gets\nunsolved = '''\n{}'''",
                file.block
            )
        }
        (Err(e), _) => format!("its edit block markers: {e}"),
        _ => "differs from its solution outside the edit block (change the solution; `cargo tutor sync` writes this file from it)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "[package]\nname = \"x\"\n\n# The exercises.\n# --- exercises: written by `cargo tutor sync` from exercises/info.toml ---\nold\n# --- end of exercises ---\n\n[dependencies]\n";

    #[test]
    fn the_bins_go_between_the_markers_and_nothing_else_changes() {
        let bins = vec![
            ("lesson01-ex1".to_owned(), "exercises/ex1_a.rs".to_owned()),
            ("lesson01-ex2".to_owned(), "exercises/ex2_b.rs".to_owned()),
        ];
        let written = with_bins(MANIFEST, &bins).expect("markers");
        assert_eq!(
            written,
            "[package]\nname = \"x\"\n\n# The exercises.\n# --- exercises: written by `cargo tutor sync` from exercises/info.toml ---\n[[bin]]\nname = \"lesson01-ex1\"\npath = \"exercises/ex1_a.rs\"\ntest = false\n\n[[bin]]\nname = \"lesson01-ex2\"\npath = \"exercises/ex2_b.rs\"\ntest = false\n# --- end of exercises ---\n\n[dependencies]\n"
        );
        assert_eq!(
            with_bins(&written, &bins),
            Ok(written.clone()),
            "a second sync changes nothing"
        );
        assert!(with_bins("[package]\n", &bins).is_err(), "no markers");
    }

    #[test]
    fn an_exercise_file_that_differs_only_in_its_block_shows_the_block_for_info_toml() {
        let planned = "a\n// ✏️ EDIT HERE\nx\n// ✏️ END OF EDIT\nb\n";
        let why = exercise_difference("a\n// ✏️ EDIT HERE\ny\n// ✏️ END OF EDIT\nb\n", planned);
        assert!(why.ends_with("unsolved = '''\ny\n'''"), "{why}");
        let why = exercise_difference("A\n// ✏️ EDIT HERE\nx\n// ✏️ END OF EDIT\nb\n", planned);
        assert!(
            why.starts_with("differs from its solution outside"),
            "{why}"
        );
    }
}
