//! `q` stops a watch whose check is still running: a learner does not wait for a check that
//! hangs (the whole-check limit is a minute).

mod common;

use common::{exercise, tutor_on_a_copy, TempDir};
use exercise_checks::{Exercise, WHOLE_CHECK};
use tutor::lang::Lang;
use tutor::watch::{Command, Event, Screen};

#[test]
fn quit_stops_a_check_that_is_still_running() {
    let scratch = TempDir::new("watch-quit");
    // A check that never ends: only the whole-check limit would stop it.
    let hangs = Exercise {
        check: |_program| Box::pin(std::future::pending()),
        ..exercise(1, "solved")
    };
    let tutor = tutor_on_a_copy(&scratch, vec![hangs], Lang::En);
    let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let mut out = Vec::new();
        let result = runtime.block_on(tutor.watch(None, &mut received, &mut out, Screen::Lines));
        let _ = done.send((result, String::from_utf8_lossy(&out).into_owned()));
    });

    // Sent at once: it waits while the fixture binary is built, then stops the check.
    events.send(Event::Command(Command::Quit)).expect("send");
    // Building the fixture takes a few seconds on a loaded machine; the check alone would take
    // WHOLE_CHECK (a minute). Half of it is the bound.
    let (result, out) = finished
        .recv_timeout(WHOLE_CHECK / 2)
        .expect("the watch ended soon after `q`, while its check was still running");
    assert_eq!(result, Ok(true));
    assert!(out.contains("⏳ checking…"), "{out}");
    assert!(
        !out.contains("the whole check"),
        "the check did not run to its limit: {out}"
    );
}
