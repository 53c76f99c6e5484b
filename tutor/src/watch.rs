//! `cargo tutor watch`: rustlings' main loop. It shows the current exercise (the first one not
//! passed), checks it, and checks it again each time an exercise file is saved; when it passes,
//! it moves on to the next one.
//!
//! The loop ([`Tutor::watch`]) only reacts to [`Event`]s from a channel, and sleeps on that
//! channel in between: no polling, so no CPU while the learner types. Three sources feed it:
//! - [`watch_files`]: the folders of the exercise files (not the files: an editor that saves by
//!   writing a new file and renaming it over the old one replaces the file, and a watch on the old
//!   file would see nothing more);
//! - [`read_keys`]: single keys on a terminal (crossterm, in raw mode);
//! - [`read_lines`]: commands typed as lines, when stdin is not a terminal.
//!
//! The tests drive [`Tutor::watch`] with a channel of their own and a real [`watch_files`].

use std::collections::VecDeque;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use exercise_checks::Exercise;
use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind, RenameMode};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use crate::lang::Lang;
use crate::progress::Progress;
use crate::report::{self, Outcome};
use crate::Tutor;

/// One save makes several file events (create, write, close; or write a temporary file, then
/// rename): events that arrive less than this apart count as one save.
pub const DEBOUNCE: Duration = Duration::from_millis(200);

/// What the watch loop reacts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Files were written, created or renamed into place in an exercise folder.
    Saved(Vec<PathBuf>),
    Command(Command),
    /// stdin ended (line mode): no more commands, but saves are still checked.
    InputClosed,
}

/// The keys (or, in line mode, the lines) the learner types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `h`: the next hint level of the current exercise.
    Hint,
    /// `n`: go to the next exercise.
    Next,
    /// `l`: every exercise and its state.
    List,
    /// `r`: check the current exercise again.
    Recheck,
    /// `q` (or Ctrl-C on a terminal).
    Quit,
    /// Anything else typed as a line.
    Unknown(String),
}

impl Command {
    /// A typed line, e.g. `h` or `hint`.
    pub fn parse(line: &str) -> Option<Command> {
        let word = line.trim();
        Some(match word.to_ascii_lowercase().as_str() {
            "" => return None,
            "h" | "hint" => Command::Hint,
            "n" | "next" => Command::Next,
            "l" | "list" => Command::List,
            "r" | "check" => Command::Recheck,
            "q" | "quit" | "exit" => Command::Quit,
            _ => Command::Unknown(word.to_owned()),
        })
    }
}

/// Watches the folders that hold `exercises`' files (under `root`) and sends an
/// [`Event::Saved`] for every write, creation or rename-into-place. Keep the returned watcher
/// alive as long as the events are wanted.
pub fn watch_files(
    root: &Path,
    exercises: &[&Exercise],
    events: UnboundedSender<Event>,
) -> Result<RecommendedWatcher, String> {
    let mut watcher = notify::recommended_watcher(move |result: notify::Result<notify::Event>| {
        if let Ok(event) = result {
            let paths = saved_paths(event);
            if !paths.is_empty() {
                // The loop has ended when this fails: nothing left to tell.
                let _ = events.send(Event::Saved(paths));
            }
        }
    })
    .map_err(|e| format!("cannot watch files: {e}"))?;
    let mut folders: Vec<PathBuf> = exercises
        .iter()
        .filter_map(|e| root.join(&e.file).parent().map(Path::to_owned))
        .collect();
    folders.sort();
    folders.dedup();
    for folder in folders {
        watcher
            .watch(&folder, RecursiveMode::NonRecursive)
            .map_err(|e| format!("cannot watch {}: {e}", folder.display()))?;
    }
    Ok(watcher)
}

/// The paths an event leaves with new content. Reads are left out: building an exercise opens
/// its file, and counting that as a save would check it again and again.
fn saved_paths(event: notify::Event) -> Vec<PathBuf> {
    match event.kind {
        EventKind::Create(_)
        | EventKind::Modify(ModifyKind::Data(_))
        | EventKind::Modify(ModifyKind::Any)
        | EventKind::Modify(ModifyKind::Name(RenameMode::To))
        | EventKind::Modify(ModifyKind::Name(RenameMode::Any))
        | EventKind::Access(AccessKind::Close(AccessMode::Write)) => event.paths,
        // [from, to]: only the new name has new content.
        EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => {
            event.paths.into_iter().last().into_iter().collect()
        }
        _ => Vec::new(),
    }
}

/// Reads single keys from the terminal (which must be in raw mode) on a thread of its own, until
/// `q`, Ctrl-C or the end of the loop. `crossterm::event::read` blocks: no polling.
pub fn read_keys(events: UnboundedSender<Event>) {
    use crossterm::event::{self, KeyCode, KeyEventKind, KeyModifiers};
    std::thread::spawn(move || loop {
        let key = match event::read() {
            Ok(event::Event::Key(key)) if key.kind == KeyEventKind::Press => key,
            Ok(_) => continue,
            Err(_) => break,
        };
        let command = match key.code {
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => Command::Quit,
            KeyCode::Char(c) => match Command::parse(&c.to_string()) {
                Some(Command::Unknown(_)) | None => continue,
                Some(command) => command,
            },
            KeyCode::Enter => Command::Recheck,
            _ => continue,
        };
        let quit = command == Command::Quit;
        if events.send(Event::Command(command)).is_err() || quit {
            break;
        }
    });
}

/// Reads commands typed as lines (`h`, `n`, `l`, `r`, `q`) on a thread of its own, for when
/// stdin is not a terminal; sends [`Event::InputClosed`] when stdin ends.
pub fn read_lines(events: UnboundedSender<Event>) {
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if let Some(command) = Command::parse(&line) {
                if events.send(Event::Command(command)).is_err() {
                    return;
                }
            }
        }
        let _ = events.send(Event::InputClosed);
    });
}

/// How the screen is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// A terminal: the screen is cleared before each redraw, single keys are the commands.
    Terminal,
    /// Not a terminal: each state is printed below the last, commands are typed as lines.
    Lines,
}

/// A writer that turns `\n` into `\r\n`: in raw mode the terminal no longer does it.
pub struct RawModeWriter<W: Write>(pub W);

impl<W: Write> Write for RawModeWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for piece in buf.split_inclusive(|&b| b == b'\n') {
            match piece.strip_suffix(b"\n") {
                Some(line) => {
                    self.0.write_all(line)?;
                    self.0.write_all(b"\r\n")?;
                }
                None => self.0.write_all(piece)?,
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Raw mode for the life of this value: restored when it is dropped, also on a panic.
pub struct RawMode;

impl RawMode {
    pub fn enable() -> Result<RawMode, String> {
        crossterm::terminal::enable_raw_mode()
            .map_err(|e| format!("cannot read single keys from this terminal: {e}"))?;
        Ok(RawMode)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

/// What is on the screen besides the current exercise's result.
#[derive(Default)]
struct View {
    /// Lines above the progress bar, e.g. "lesson01-ex1 passed".
    notices: Vec<String>,
    /// Below the result: a hint, the list, or a message.
    extra: Option<String>,
}

impl Tutor {
    /// The watch loop: checks the current exercise, then waits for saves and commands until
    /// [`Command::Quit`] (or until every sender of `events` is gone). `lesson` chooses where to
    /// start: its first exercise not passed (default: the course's first not passed).
    pub async fn watch(
        &self,
        lesson: Option<u8>,
        events: &mut UnboundedReceiver<Event>,
        out: &mut dyn Write,
        screen: Screen,
    ) -> Result<bool, String> {
        let exercises: Vec<&Exercise> = self.lessons.iter().flat_map(|l| &l.exercises).collect();
        if exercises.is_empty() {
            return Err("there are no exercises to watch".into());
        }
        let mut current = match lesson {
            Some(number) => {
                self.lesson(number)?;
                let progress = Progress::load(&self.progress_file);
                exercises
                    .iter()
                    .position(|e| e.lesson == number && !self.passed_as_is(&progress, e))
                    .or_else(|| exercises.iter().position(|e| e.lesson == number))
            }
            None => self.first_not_passed(&exercises, 0),
        };
        let mut view = View::default();
        let mut outcome: Option<Outcome> = None;
        let mut check_now = current.is_some();
        let mut pending: VecDeque<Event> = VecDeque::new();
        // False after a hint or the list in line mode: printed below the last state, no redraw.
        let mut redraw = true;
        // True once nothing can send events any more (then only a running check is awaited).
        let mut senders_gone = false;
        loop {
            if check_now {
                check_now = false;
                let Some(index) = current else { continue };
                let exercise = exercises[index];
                self.draw(out, screen, &exercises, Some(exercise), None, &view, true)?;
                // While the check runs, `q` still quits (once the program is built: the build
                // itself blocks); other events wait their turn.
                let one = [exercise];
                let check = self.check_and_record(&one);
                tokio::pin!(check);
                let results = loop {
                    tokio::select! {
                        results = &mut check => break results?,
                        event = events.recv(), if !senders_gone => match event {
                            Some(Event::Command(Command::Quit)) => return Ok(true),
                            Some(other) => pending.push_back(other),
                            None => senders_gone = true,
                        },
                    }
                };
                let Some(result) = results.into_iter().next() else {
                    return Err("the check returned nothing".into());
                };
                if result.passed() {
                    view.notices.push(format!(
                        "✅ {} · ex{} {}",
                        lesson_label(exercise, self.lang),
                        exercise.number,
                        self.lang.pick("통과!", "passed!")
                    ));
                    current = self.first_not_passed(&exercises, index + 1);
                    outcome = None;
                    check_now = current.is_some();
                    if check_now {
                        continue;
                    }
                } else {
                    outcome = Some(result);
                }
            }
            if redraw {
                let current_exercise = current.map(|i| exercises[i]);
                self.draw(
                    out,
                    screen,
                    &exercises,
                    current_exercise,
                    outcome.as_ref(),
                    &view,
                    false,
                )?;
            }
            redraw = true;

            let event = match pending.pop_front() {
                Some(event) => event,
                None => match events.recv().await {
                    Some(event) => event,
                    None => return Ok(true),
                },
            };
            match event {
                Event::Saved(mut paths) => {
                    // The rest of this save's events, and any other file saved at once.
                    loop {
                        match tokio::time::timeout(DEBOUNCE, events.recv()).await {
                            Ok(Some(Event::Saved(more))) => paths.extend(more),
                            Ok(Some(other)) => pending.push_back(other),
                            Ok(None) | Err(_) => break,
                        }
                    }
                    // The current exercise if its file was saved, else the first one saved.
                    let saved = |e: &&Exercise| paths.iter().any(|p| p.ends_with(&e.file));
                    let chosen = current
                        .filter(|&i| saved(&exercises[i]))
                        .or_else(|| exercises.iter().position(saved));
                    if let Some(index) = chosen {
                        current = Some(index);
                        view = View::default();
                        outcome = None;
                        check_now = true;
                    } else {
                        // Some other file in those folders (an editor's swap file): nothing to
                        // check, nothing to redraw.
                        redraw = false;
                    }
                }
                Event::Command(Command::Quit) => return Ok(true),
                Event::Command(Command::Recheck) => {
                    view = View::default();
                    current = current.or_else(|| self.first_not_passed(&exercises, 0));
                    current = current.or(Some(0));
                    check_now = true;
                }
                Event::Command(Command::Next) => {
                    view = View::default();
                    current = Some(current.map_or(0, |i| (i + 1) % exercises.len()));
                    outcome = None;
                    check_now = true;
                }
                Event::Command(Command::Hint) => {
                    let hint = match current {
                        Some(i) => self.next_hint_text(exercises[i])?,
                        None => self
                            .lang
                            .pick(
                                "모든 연습 문제를 통과했습니다. 힌트가 필요 없네요!",
                                "Every exercise has passed: no hint needed!",
                            )
                            .to_owned(),
                    };
                    redraw = self.show_extra(out, screen, &mut view, hint)?;
                }
                Event::Command(Command::List) => {
                    let list = self.list_text(current.map(|i| exercises[i]));
                    redraw = self.show_extra(out, screen, &mut view, list)?;
                }
                Event::Command(Command::Unknown(word)) => {
                    let message = self.lang.pick(
                        &format!("`{word}`은(는) 없는 명령입니다. h, n, l, r, q 가운데 하나를 입력하세요."),
                        &format!("`{word}` is not a command: type h, n, l, r or q."),
                    ).to_owned();
                    redraw = self.show_extra(out, screen, &mut view, message)?;
                }
                Event::InputClosed => {
                    let message = self
                        .lang
                        .pick(
                            "입력이 끝났습니다. 파일을 저장하면 계속 확인합니다 (끝내려면 Ctrl-C).",
                            "Input has ended: saved files are still checked (Ctrl-C stops).",
                        )
                        .to_owned();
                    redraw = self.show_extra(out, screen, &mut view, message)?;
                }
            }
        }
    }

    /// Shows a hint, the list or a message below the current state. A terminal redraws the whole
    /// screen with it (returns true: redraw); line mode prints just the text and the commands
    /// (returns false).
    fn show_extra(
        &self,
        out: &mut dyn Write,
        screen: Screen,
        view: &mut View,
        extra: String,
    ) -> Result<bool, String> {
        match screen {
            Screen::Terminal => {
                view.extra = Some(extra);
                Ok(true)
            }
            Screen::Lines => {
                let text = format!(
                    "\n{}\n\n{}\n",
                    extra.trim_end(),
                    key_line(screen, self.lang)
                );
                out.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
                out.flush().map_err(|e| e.to_string())?;
                Ok(false)
            }
        }
    }

    /// The first exercise from `from` on (then from the start) that has not passed as it is.
    fn first_not_passed(&self, exercises: &[&Exercise], from: usize) -> Option<usize> {
        let progress = Progress::load(&self.progress_file);
        (from..exercises.len())
            .chain(0..from.min(exercises.len()))
            .find(|&i| !self.passed_as_is(&progress, exercises[i]))
    }

    #[allow(clippy::too_many_arguments)]
    fn draw(
        &self,
        out: &mut dyn Write,
        screen: Screen,
        exercises: &[&Exercise],
        current: Option<&Exercise>,
        outcome: Option<&Outcome>,
        view: &View,
        checking: bool,
    ) -> Result<(), String> {
        let io = |e: std::io::Error| e.to_string();
        let lang = self.lang;
        let mut text = String::new();
        for notice in &view.notices {
            text.push_str(notice);
            text.push('\n');
        }
        let progress = Progress::load(&self.progress_file);
        let passed = exercises
            .iter()
            .filter(|e| self.passed_as_is(&progress, e))
            .count();
        text.push_str(&progress_bar(passed, exercises.len(), lang));
        text.push_str("\n\n");
        match current {
            None => text.push_str(lang.pick(
                "🎉 모든 연습 문제를 통과했습니다! 파일을 저장하면 다시 확인합니다.\n",
                "🎉 Every exercise has passed! Saving a file checks it again.\n",
            )),
            Some(exercise) => {
                text.push_str(&format!(
                    "{} · {}\n{}\n",
                    lesson_label(exercise, lang),
                    self.lesson(exercise.lesson)
                        .map(|l| lang.text(l.title))
                        .unwrap_or_default(),
                    report::heading(exercise, lang)
                ));
                if checking {
                    text.push_str(lang.pick("  ⏳ 확인하는 중…\n", "  ⏳ checking…\n"));
                } else if let Some(outcome) = outcome {
                    text.push_str(&report::outcome(outcome, lang));
                    text.push('\n');
                }
            }
        }
        if let Some(extra) = &view.extra {
            text.push('\n');
            text.push_str(extra.trim_end());
            text.push('\n');
        }
        if !checking {
            text.push('\n');
            text.push_str(key_line(screen, lang));
            text.push('\n');
        }
        if screen == Screen::Terminal {
            // `&mut &mut dyn Write`: crossterm's macro needs a writer of a known size.
            let mut target = &mut *out;
            crossterm::queue!(
                &mut target,
                crossterm::terminal::Clear(crossterm::terminal::ClearType::All),
                crossterm::cursor::MoveTo(0, 0)
            )
            .map_err(io)?;
        } else {
            text.insert(0, '\n');
        }
        out.write_all(text.as_bytes()).map_err(io)?;
        out.flush().map_err(io)
    }
}

/// The commands, at the bottom of every state.
fn key_line(screen: Screen, lang: Lang) -> &'static str {
    match screen {
        Screen::Terminal => lang.pick(
            "h 힌트 · n 다음 문제 · l 목록 · r 다시 확인 · q 끝내기 · 파일을 저장하면 다시 확인합니다",
            "h hint · n next exercise · l list · r check again · q quit · saving the file checks it again",
        ),
        Screen::Lines => lang.pick(
            "h, n, l, r, q 가운데 하나를 입력하고 Enter (힌트, 다음 문제, 목록, 다시 확인, 끝내기) · 파일을 저장하면 다시 확인합니다",
            "type h, n, l, r or q and Enter (hint, next, list, check again, quit) · saving the file checks it again",
        ),
    }
}

fn lesson_label(exercise: &Exercise, lang: Lang) -> String {
    format!("{} {:02}", lang.pick("레슨", "Lesson"), exercise.lesson)
}

/// `[##########--------------------]  5/14 passed`
pub fn progress_bar(passed: usize, total: usize, lang: Lang) -> String {
    const WIDTH: usize = 30;
    let filled = (passed * WIDTH).checked_div(total).unwrap_or(0);
    format!(
        "[{}{}] {passed:>2}/{total} {}",
        "#".repeat(filled),
        "-".repeat(WIDTH - filled),
        lang.pick("통과", "passed")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_lines_are_commands() {
        assert_eq!(Command::parse("h\n"), Some(Command::Hint));
        assert_eq!(Command::parse(" Next "), Some(Command::Next));
        assert_eq!(Command::parse("q"), Some(Command::Quit));
        assert_eq!(Command::parse("   "), None);
        assert_eq!(Command::parse("x"), Some(Command::Unknown("x".into())));
    }

    #[test]
    fn the_progress_bar_fills_with_passed_exercises() {
        assert_eq!(
            progress_bar(0, 14, Lang::En),
            "[------------------------------]  0/14 passed"
        );
        assert_eq!(
            progress_bar(7, 14, Lang::En),
            "[###############---------------]  7/14 passed"
        );
        assert_eq!(
            progress_bar(14, 14, Lang::Ko),
            "[##############################] 14/14 통과"
        );
    }

    #[test]
    fn raw_mode_lines_end_in_cr_lf() {
        let mut writer = RawModeWriter(Vec::new());
        writer.write_all(b"a\nb\n\nc").expect("write");
        assert_eq!(writer.0, b"a\r\nb\r\n\r\nc");
    }

    #[test]
    fn reads_are_not_saves() {
        let path = PathBuf::from("/c/ex1.rs");
        let event = |kind| notify::Event::new(kind).add_path(path.clone());
        assert!(
            saved_paths(event(EventKind::Access(AccessKind::Open(AccessMode::Read)))).is_empty()
        );
        assert!(saved_paths(event(EventKind::Access(AccessKind::Close(
            AccessMode::Read
        ))))
        .is_empty());
        assert_eq!(
            saved_paths(event(EventKind::Access(AccessKind::Close(
                AccessMode::Write
            )))),
            std::slice::from_ref(&path)
        );
        let renamed = notify::Event::new(EventKind::Modify(ModifyKind::Name(RenameMode::Both)))
            .add_path(PathBuf::from("/c/ex1.rs.tmp"))
            .add_path(path.clone());
        assert_eq!(saved_paths(renamed), [path]);
    }
}
