//! Every exercise's check passes on its solution (`solutions/solutionNN/exercises/`).
//!
//! That the same checks FAIL on the unsolved files is proven by `cargo tutor verify` (in CI), not
//! here: a learner who has solved an exercise in their own clone must still see `cargo test` pass.

use exercise_checks::{lessons, run, Program};

#[tokio::test]
async fn every_solution_passes_its_check() {
    let exercises: Vec<_> = lessons()
        .into_iter()
        .flat_map(|l| l.exercises)
        // lesson07's ex2 is checked by sending SIGTERM, which tests can send on Unix only.
        .filter(|e| cfg!(unix) || (e.lesson, e.number) != (7, 2))
        .collect();
    assert!(!exercises.is_empty());
    // All at once: each check starts its own server on a free port.
    let results = futures::future::join_all(exercises.iter().map(|exercise| {
        run(
            exercise.check,
            Program::Workspace(exercise.solution_bin.clone()),
        )
    }))
    .await;
    let failures: Vec<String> = exercises
        .iter()
        .zip(results)
        .filter_map(|(exercise, result)| {
            result
                .err()
                .map(|mismatch| format!("{}:\n{mismatch}", exercise.solution_file))
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}
