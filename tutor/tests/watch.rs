//! `cargo tutor watch` on a copy of the fixture course, driven through its library API: the real
//! file watcher sees the test's saves, and the commands go through the same channel as typed keys.
//!
//! One test, in a file of its own, on purpose: its last step measures this process's CPU time
//! while the loop waits, and no other test may run in the process meanwhile. (Unix only: that
//! measure is `getrusage`.)
#![cfg(unix)]

mod common;

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{text, three_exercises, tutor_on_a_copy, TempDir, BROKEN, SOLVED};
use tutor::lang::Lang;
use tutor::watch::{self, Command, Event, Screen};

/// What the watch loop has written so far, shared with the test.
#[derive(Clone, Default)]
struct Screenful(Arc<Mutex<Vec<u8>>>);

impl Write for Screenful {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Screenful {
    fn len(&self) -> usize {
        self.0.lock().expect("lock").len()
    }

    fn since(&self, start: usize) -> String {
        text(self.0.lock().expect("lock")[start..].to_vec())
    }

    /// Waits until what was written after `start` contains every one of `wanted`, in order;
    /// returns that text. Building a fixture binary takes seconds on a loaded machine, hence the
    /// long deadline (it is not what the test is about).
    fn wait_for(&self, start: usize, wanted: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let written = self.since(start);
            if contains_in_order(&written, wanted) {
                return written;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {wanted:?}; the watch wrote:\n{written}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn contains_in_order(text: &str, wanted: &[&str]) -> bool {
    let mut rest = text;
    for piece in wanted {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    true
}

/// Saves `text` as an editor that writes a new file and renames it over the old one does.
fn save_by_rename(file: &Path, text: &str) {
    let temporary = file.with_extension("rs.swp");
    std::fs::write(&temporary, text).expect("write the temporary file");
    std::fs::rename(&temporary, file).expect("rename it into place");
}

/// CPU time (user + system) this process has used so far.
fn cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; RUSAGE_SELF is always valid.
    let usage = unsafe {
        assert_eq!(libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()), 0);
        usage.assume_init()
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

#[test]
fn watch_checks_on_save_moves_on_when_passed_and_sleeps_in_between() {
    let scratch = TempDir::new("watch");
    let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
    let screen = Screenful::default();

    // The loop runs on a thread of its own, as `cargo tutor watch` runs on its main thread.
    let tutor = tutor_on_a_copy(&scratch, three_exercises(), Lang::En);
    let root = tutor.root.clone();
    let exercises = three_exercises();
    let watcher = watch::watch_files(&root, &exercises.iter().collect::<Vec<_>>(), events.clone())
        .expect("watch the exercise folder");
    let mut out = screen.clone();
    let watching = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(tutor.watch(None, &mut received, &mut out, Screen::Lines))
    });

    // ex1 is solved as shipped: it passes, and the loop moves on to ex2, which fails.
    let shown = screen.wait_for(
        0,
        &[
            "✅ Lesson 01 · ex1 passed!",
            "ex2 · say right   (exercises/unsolved.rs)\n  ❌ not yet:\n     GET /sse, frame 1\n     expected: \"data: right\\n\\n\"\n     received: \"data: wrong\\n\\n\"\n",
            "type h, n, l, r or q and Enter",
        ],
    );
    assert!(
        shown.contains("[##########--------------------]  1/3 passed"),
        "{shown}"
    );

    // The learner solves ex2; the editor saves by renaming: "passed", and on to ex3, which does
    // not compile: its compiler error is shown, not a wire mismatch.
    let start = screen.len();
    save_by_rename(&root.join("exercises/unsolved.rs"), SOLVED);
    let shown = screen.wait_for(
        start,
        &[
            "✅ Lesson 01 · ex2 passed!",
            "ex3 · say right   (exercises/broken.rs)\n  ❌ does not compile:\n     error[E0308]: mismatched types",
            "type h, n, l, r or q and Enter",
        ],
    );
    assert!(
        shown.contains("[####################----------]  2/3 passed"),
        "{shown}"
    );

    // Saving ex2 again, now with a compile error, makes ex2 current and shows the compiler's message.
    let start = screen.len();
    std::fs::write(root.join("exercises/unsolved.rs"), BROKEN).expect("save");
    screen.wait_for(
        start,
        &[
            "ex2 · say right   (exercises/unsolved.rs)\n  ❌ does not compile:\n     error[E0308]: mismatched types",
            "type h, n, l, r or q and Enter",
        ],
    );

    // `l` lists every exercise with ex2 marked; `h` gives ex2's hint.
    let start = screen.len();
    events.send(Event::Command(Command::List)).expect("send");
    screen.wait_for(
        start,
        &[
            "  ex1 · say right — ✅ passed\n▶ ex2 · say right — ❌ does not compile\n  ex3 · say right — ❌ does not compile\n",
            "type h",
        ],
    );
    let start = screen.len();
    events.send(Event::Command(Command::Hint)).expect("send");
    screen.wait_for(
        start,
        &[
            "ex2 · say right   (exercises/unsolved.rs)\n  💡 1/3 nudge: look at the data\n  the next hint (concept): h again\n",
            "type h",
        ],
    );
    let start = screen.len();
    events.send(Event::Command(Command::Hint)).expect("send");
    screen.wait_for(start, &["💡 2/3 concept: the word is wrong\n", "type h"]);

    // Waiting for the next save costs nothing: no redraw, and (almost) no CPU. A loop that polled
    // would use most of a core in this window.
    // An editor's own files in the folder (swap files, backups) are not exercises: they are
    // neither checked nor shown.
    let written = screen.len();
    std::fs::write(root.join("exercises/.unsolved.rs.swp"), "swap").expect("write");
    let cpu_before = cpu_time();
    let idle = Duration::from_millis(1500);
    std::thread::sleep(idle);
    let used = cpu_time() - cpu_before;
    assert_eq!(screen.len(), written, "nothing is redrawn while idle");
    assert!(
        used < idle / 10,
        "the watch used {used:?} of CPU in {idle:?} while nothing happened"
    );

    // `q` ends the loop.
    events.send(Event::Command(Command::Quit)).expect("send");
    let result = watching.join().expect("the watch thread");
    assert_eq!(result, Ok(true));
    drop(watcher);
}
