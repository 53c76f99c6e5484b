//! Every lesson carries its own copy of `src/serve.rs` (the start-up code: PORT, the `listening on`
//! line, logs, Ctrl-C), so that each lesson is a crate you can read, and copy, on its own. This
//! test keeps those copies identical to lesson01's, so they cannot drift apart.

use std::path::Path;

/// Lessons whose `serve.rs` differs on purpose, and why.
const DIFFERENT_ON_PURPOSE: &[(&str, &str)] =
    &[("lesson07", "graceful shutdown is what it teaches")];

#[test]
fn every_lesson_starts_with_the_same_serve_rs() {
    let lessons = harness::binaries::workspace_root().join("lessons");
    let read = |path: &Path| {
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
    };
    let original = read(&lessons.join("lesson01/src/serve.rs"));

    let mut compared = Vec::new();
    let entries = std::fs::read_dir(&lessons).expect("the lessons folder");
    for entry in entries {
        let dir = entry.expect("a lesson folder").path();
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let copy = dir.join("src/serve.rs");
        if name == "lesson01"
            || !copy.exists()
            || DIFFERENT_ON_PURPOSE.iter().any(|(n, _)| *n == name)
        {
            continue;
        }
        assert!(
            read(&copy) == original,
            "{} differs from lessons/lesson01/src/serve.rs: change them together (or list the \
             lesson in DIFFERENT_ON_PURPOSE with the reason)",
            copy.display()
        );
        compared.push(name);
    }
    compared.sort();
    // Not vacuous: at least lessons 02 to 05 were compared.
    for must in ["lesson02", "lesson03", "lesson04", "lesson05"] {
        assert!(
            compared.iter().any(|n| n == must),
            "{must} was not compared: {compared:?}"
        );
    }
}
