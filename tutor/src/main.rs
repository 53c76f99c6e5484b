//! `cargo tutor ...` (an alias in `.cargo/config.toml` for `cargo run -q -p tutor -- ...`).

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use tutor::build::{workspace_root, Cargo};

use tutor::lang::Lang;
use tutor::watch::{self, RawMode, RawModeWriter, Screen};
use tutor::Tutor;

/// Checks your exercise files. 연습 문제를 확인합니다.
#[derive(Parser)]
#[command(name = "cargo tutor", bin_name = "cargo tutor")]
struct Cli {
    /// Language of the messages (default: Korean when LANG starts with `ko`, else English).
    #[arg(long, value_enum, global = true)]
    lang: Option<Lang>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Every lesson's exercises and their state (from your last check).
    List,
    /// Build and check lesson N's exercises in your files.
    Check { lesson: u8 },
    /// The next hint for an exercise of lesson N: a nudge, then the concept, then the answer.
    Hint {
        lesson: u8,
        /// The exercise (default: the lesson's first not passed).
        exercise: Option<u8>,
        /// Every level at once (of every exercise of the lesson, without an exercise number).
        #[arg(long)]
        all: bool,
    },
    /// The first exercise not passed yet, and how to run it.
    Next,
    /// Check the current exercise each time you save it, and move on when it passes.
    Watch {
        /// Start at this lesson's first exercise not passed (default: the course's first).
        lesson: Option<u8>,
    },
    /// Put lesson N's unsolved exercise files back (your versions are kept in .tutor-backup/).
    Reset { lesson: u8 },
    /// Write each exercise file (its solution with the edit block from info.toml) and the
    /// exercises' [[bin]]s in the lesson and solution Cargo.toml files.
    Sync {
        /// Write nothing; list what differs (exit code 1 if anything does).
        #[arg(long)]
        check: bool,
    },
    /// For CI: everything is in sync, and every exercise fails unsolved and passes solved.
    Verify,
}

/// Check tasks run on threads with this name; their panics are reported as mismatches, so the
/// panic hook keeps quiet about them (no test-harness noise on the learner's terminal).
const CHECK_THREADS: &str = "exercise-check";

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() != Some(CHECK_THREADS) {
            default_hook(info);
        }
    }));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name(CHECK_THREADS)
        .build();
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: could not start the async runtime: {err}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> ExitCode {
    let root = workspace_root();
    let builder = match Cargo::beside_current_exe(root.join("Cargo.toml")) {
        Ok(builder) => builder,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    let lessons = match exercise_checks::try_lessons() {
        Ok(lessons) => lessons,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    let tutor = Tutor {
        lessons,
        progress_file: root.join(".tutor-progress.json"),
        root,
        builder: Box::new(builder),
        lang: cli.lang.unwrap_or_else(Lang::from_env),
    };
    let mut out = std::io::stdout();
    let result = match cli.command {
        Command::List => tutor.list(&mut out),
        Command::Check { lesson } => tutor.check(lesson, &mut out).await,
        Command::Hint {
            lesson,
            exercise,
            all,
        } => tutor.hint(lesson, exercise, all, &mut out),
        Command::Next => tutor.next(&mut out),
        Command::Watch { lesson } => watch(&tutor, lesson).await,
        Command::Reset { lesson } => tutor.reset(lesson, &mut out),
        Command::Sync { check } => tutor.sync(check, &mut out),
        Command::Verify => tutor.verify(&mut out).await,
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// `watch`: single keys on a terminal, typed lines otherwise (a pipe, an IDE's console).
async fn watch(tutor: &Tutor, lesson: Option<u8>) -> Result<bool, String> {
    let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
    let exercises: Vec<_> = tutor.lessons.iter().flat_map(|l| &l.exercises).collect();
    // Kept alive until the loop ends.
    let _watcher = watch::watch_files(&tutor.root, &exercises, events.clone())?;
    if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        let raw_mode = RawMode::enable()?;
        watch::read_keys(events);
        let mut out = RawModeWriter(std::io::stdout());
        let result = tutor
            .watch(lesson, &mut received, &mut out, Screen::Terminal)
            .await;
        drop(raw_mode);
        result
    } else {
        watch::read_lines(events);
        let mut out = std::io::stdout();
        tutor
            .watch(lesson, &mut received, &mut out, Screen::Lines)
            .await
    }
}
