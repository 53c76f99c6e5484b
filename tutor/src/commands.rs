//! The tutor's commands. Each one writes its messages to `out` and returns `Ok(true)` when all is
//! well, `Ok(false)` when something is not (an exercise fails: exit code 1), or `Err(message)`
//! when it could not do its job at all (an unknown lesson, a file it cannot write).

use std::io::Write;
use std::path::PathBuf;

use exercise_checks::{Check, Exercise, LessonExercises, Program};
use futures::future::join_all;

use crate::backup::Backup;
use crate::build::Build;
use crate::lang::Lang;
use crate::progress::{file_hash, Progress, State};
use crate::report::{self, Outcome};
use crate::sync;

/// Everything the tutor works on. `main.rs` fills it with the real course; tests with fixtures.
pub struct Tutor {
    pub lessons: Vec<LessonExercises>,
    /// The directory the exercise files' paths are relative to (the workspace root).
    pub root: PathBuf,
    pub builder: Box<dyn Build>,
    pub progress_file: PathBuf,
    pub lang: Lang,
}

type Out<'a> = &'a mut dyn Write;

/// How the learner asks for the next hint level.
enum HintsAgain {
    /// On the command line: this command again.
    Command(String),
    /// In watch mode: the `h` key.
    Key,
}

/// The name of hint level `level` (0: the nudge, 1: the concept, 2: the answer).
fn level_name(level: usize, lang: Lang) -> &'static str {
    match level {
        0 => lang.pick("실마리", "nudge"),
        1 => lang.pick("개념", "concept"),
        _ => lang.pick("답", "answer"),
    }
}

fn io(err: std::io::Error) -> String {
    err.to_string()
}

impl Tutor {
    pub(crate) fn lesson(&self, number: u8) -> Result<&LessonExercises, String> {
        self.lessons
            .iter()
            .find(|lesson| lesson.number == number)
            .ok_or_else(|| {
                let known: Vec<String> = self.lessons.iter().map(|l| l.number.to_string()).collect();
                let known = known.join(", ");
                self.lang
                    .pick(
                        &format!("레슨 {number}에는 연습 문제가 없습니다 (연습 문제가 있는 레슨: {known})"),
                        &format!("lesson {number} has no exercises (lessons with exercises: {known})"),
                    )
                    .to_owned()
            })
    }

    fn lesson_heading(&self, lesson: &LessonExercises) -> String {
        format!(
            "{} {:02} · {}",
            self.lang.pick("레슨", "Lesson"),
            lesson.number,
            self.lang.text(lesson.title)
        )
    }

    /// Builds each program, then runs all the checks at once (each on its own free port).
    async fn outcomes(&self, programs: &[(&str, &str, Check)]) -> Vec<Outcome> {
        let built: Vec<_> = programs
            .iter()
            .map(|(package, bin, _)| self.builder.build(package, bin))
            .collect();
        let checks = built
            .into_iter()
            .zip(programs)
            .map(|(built, (_, _, check))| async move {
                match built {
                    Err(errors) => Outcome::DoesNotCompile(errors),
                    Ok(path) => match exercise_checks::run(*check, Program::File(path)).await {
                        Ok(()) => Outcome::Passed,
                        Err(mismatch) => Outcome::Failed(mismatch),
                    },
                }
            });
        join_all(checks).await
    }

    /// `list`: every lesson and exercise with its state from the last check.
    pub fn list(&self, out: Out) -> Result<bool, String> {
        write!(out, "{}", self.list_text(None)).map_err(io)?;
        let footer = self.lang.pick(
            "\n`cargo tutor check N`: 레슨 N 확인 · `cargo tutor next`: 다음에 할 일 · `cargo tutor watch`: 저장할 때마다 확인",
            "\n`cargo tutor check N` checks lesson N · `cargo tutor next` says what to do next · `cargo tutor watch` checks on every save",
        );
        writeln!(out, "{footer}").map_err(io)?;
        Ok(true)
    }

    /// Every lesson and exercise with its state; `current` (watch mode) is marked with `▶`.
    pub(crate) fn list_text(&self, current: Option<&Exercise>) -> String {
        let progress = Progress::load(&self.progress_file);
        let mut text = String::new();
        for lesson in &self.lessons {
            text.push_str(&self.lesson_heading(lesson));
            text.push('\n');
            for exercise in &lesson.exercises {
                let mark = if current.is_some_and(|c| c.key() == exercise.key()) {
                    "▶ "
                } else {
                    "  "
                };
                text.push_str(&format!(
                    "{mark}ex{} · {} — {}\n",
                    exercise.number,
                    self.lang.text(exercise.title),
                    self.state_label(&progress, exercise)
                ));
            }
        }
        text
    }

    /// `check N`: builds and checks lesson N's exercises in the learner's files.
    pub async fn check(&self, number: u8, out: Out<'_>) -> Result<bool, String> {
        let lesson = self.lesson(number)?;
        writeln!(out, "{}", self.lesson_heading(lesson)).map_err(io)?;
        let exercises: Vec<&Exercise> = lesson.exercises.iter().collect();
        let outcomes = self.check_and_record(&exercises).await?;
        for (exercise, outcome) in lesson.exercises.iter().zip(&outcomes) {
            writeln!(out, "\n{}", report::heading(exercise, self.lang)).map_err(io)?;
            writeln!(out, "{}", report::outcome(outcome, self.lang)).map_err(io)?;
        }

        let passed = outcomes.iter().filter(|o| o.passed()).count();
        let total = outcomes.len();
        let summary = if passed == total {
            self.lang
                .pick(
                    &format!("\n{passed}/{total} 통과! `solutions/solution{number:02}/exercises/`와 비교해 보고, 다음: `cargo tutor next`"),
                    &format!("\n{passed}/{total} passed! Compare with `solutions/solution{number:02}/exercises/`, then: `cargo tutor next`"),
                )
                .to_owned()
        } else {
            self.lang
                .pick(
                    &format!("\n{passed}/{total} 통과. 힌트는 `cargo tutor hint {number}`로 한 단계씩 볼 수 있습니다."),
                    &format!("\n{passed}/{total} passed. Hints, one level at a time: `cargo tutor hint {number}`"),
                )
                .to_owned()
        };
        writeln!(out, "{summary}").map_err(io)?;
        Ok(passed == total)
    }

    /// Builds and checks `exercises` (all at once) and records each result in the progress file,
    /// with the hash of the file as it was when the check started.
    pub(crate) async fn check_and_record(
        &self,
        exercises: &[&Exercise],
    ) -> Result<Vec<Outcome>, String> {
        let hashes: Vec<String> = exercises
            .iter()
            .map(|e| file_hash(&self.current_text(e).unwrap_or_default()))
            .collect();
        let programs: Vec<_> = exercises
            .iter()
            .map(|e| (e.package.as_str(), e.bin.as_str(), e.check))
            .collect();
        let outcomes = self.outcomes(&programs).await;
        let mut progress = Progress::load(&self.progress_file);
        for ((exercise, outcome), hash) in exercises.iter().zip(&outcomes).zip(hashes) {
            let state = match outcome {
                Outcome::Passed => State::Passed,
                Outcome::Failed(_) => State::Failing,
                Outcome::DoesNotCompile(_) => State::DoesNotCompile,
            };
            progress.set_checked(&exercise.key(), state, hash);
        }
        progress.save().map_err(io)?;
        Ok(outcomes)
    }

    /// The learner's file as it is now (`None` if it cannot be read).
    pub(crate) fn current_text(&self, exercise: &Exercise) -> Option<String> {
        std::fs::read_to_string(self.root.join(&exercise.file)).ok()
    }

    /// Passed at its last check, and not changed since.
    pub(crate) fn passed_as_is(&self, progress: &Progress, exercise: &Exercise) -> bool {
        progress
            .record(&exercise.key())
            .passed_as_is(self.current_text(exercise).as_deref())
    }

    /// The state label for `list` and `next`, with "changed since" when the file is not the one
    /// that was checked.
    pub(crate) fn state_label(&self, progress: &Progress, exercise: &Exercise) -> String {
        let record = progress.record(&exercise.key());
        let mut label = record.state.label(self.lang);
        if record.changed_since(self.current_text(exercise).as_deref()) {
            label.push_str(
                self.lang
                    .pick(" (확인한 뒤 파일이 바뀜)", " (file changed since)"),
            );
        }
        label
    }

    /// `hint N [K] [--all]`: the hints of exercise K of lesson N (default: the lesson's first
    /// exercise not passed), one level more each time: a nudge, then the concept, then the answer.
    /// The levels seen are kept in the progress file. `--all` shows every level (of every
    /// exercise of the lesson, when K is not given).
    pub fn hint(
        &self,
        number: u8,
        exercise: Option<u8>,
        all: bool,
        out: Out,
    ) -> Result<bool, String> {
        let lesson = self.lesson(number)?;
        let mut progress = Progress::load(&self.progress_file);
        let chosen: Vec<&Exercise> = match exercise {
            Some(k) => {
                let found = lesson.exercises.iter().find(|e| e.number == k);
                let Some(found) = found else {
                    let known: Vec<String> = lesson
                        .exercises
                        .iter()
                        .map(|e| e.number.to_string())
                        .collect();
                    let known = known.join(", ");
                    return Err(self
                        .lang
                        .pick(
                            &format!(
                                "레슨 {number}에는 연습 문제 {k}이(가) 없습니다 (있는 것: {known})"
                            ),
                            &format!(
                                "lesson {number} has no exercise {k} (its exercises: {known})"
                            ),
                        )
                        .to_owned());
                };
                vec![found]
            }
            None if all => lesson.exercises.iter().collect(),
            None => {
                let first = lesson
                    .exercises
                    .iter()
                    .find(|e| !self.passed_as_is(&progress, e))
                    .or(lesson.exercises.first());
                first.into_iter().collect()
            }
        };
        writeln!(out, "{}", self.lesson_heading(lesson)).map_err(io)?;
        for exercise in chosen {
            let more =
                HintsAgain::Command(format!("cargo tutor hint {number} {}", exercise.number));
            let text = self.hint_levels(exercise, &mut progress, all, &more);
            write!(out, "\n{text}").map_err(io)?;
        }
        progress.save().map_err(io)?;
        Ok(true)
    }

    /// The next hint level of `exercise`, with the ones seen before (watch mode's `h`).
    pub(crate) fn next_hint_text(&self, exercise: &Exercise) -> Result<String, String> {
        let mut progress = Progress::load(&self.progress_file);
        let text = self.hint_levels(exercise, &mut progress, false, &HintsAgain::Key);
        progress.save().map_err(io)?;
        Ok(text)
    }

    /// The hint levels seen so far plus the next one (or all of them), and how to see more;
    /// records the levels seen in `progress`.
    fn hint_levels(
        &self,
        exercise: &Exercise,
        progress: &mut Progress,
        all: bool,
        more: &HintsAgain,
    ) -> String {
        let key = exercise.key();
        let levels = exercise.hints.len();
        let seen = progress.record(&key).hints_seen;
        let shown = if all { levels } else { (seen + 1).min(levels) };
        progress.set_hints_seen(&key, shown.max(seen));
        let mut text = format!("{}\n", report::heading(exercise, self.lang));
        for (level, hint) in exercise.hints.iter().enumerate().take(shown) {
            text.push_str(&format!(
                "  💡 {}/{levels} {}: {}\n",
                level + 1,
                level_name(level, self.lang),
                self.lang.text(*hint)
            ));
        }
        let footer = if shown < levels {
            let next = level_name(shown, self.lang);
            match more {
                HintsAgain::Command(command) => self.lang.pick(
                    &format!("  `{command}`을(를) 다시 실행하면 다음 힌트({next})를 봅니다. 모든 단계를 한꺼번에 보려면 `{command} --all`을(를) 실행하세요."),
                    &format!("  the next hint ({next}): run `{command}` again · every level at once: `{command} --all`"),
                ).to_owned(),
                HintsAgain::Key => self.lang.pick(
                    &format!("  h를 한 번 더 누르면 다음 힌트({next})를 봅니다."),
                    &format!("  the next hint ({next}): h again"),
                ).to_owned(),
            }
        } else {
            self.lang
                .pick(
                    &format!(
                        "  힌트는 여기까지입니다. 풀이는 {}에 있습니다.",
                        exercise.solution_file
                    ),
                    &format!(
                        "  That was the last hint. The solution: {}",
                        exercise.solution_file
                    ),
                )
                .to_owned()
        };
        text.push_str(&footer);
        text.push('\n');
        text
    }

    /// `next`: the first exercise not passed yet, and how to work on it.
    pub fn next(&self, out: Out) -> Result<bool, String> {
        let progress = Progress::load(&self.progress_file);
        let next = self
            .lessons
            .iter()
            .flat_map(|lesson| &lesson.exercises)
            .find(|exercise| !self.passed_as_is(&progress, exercise));
        let Some(exercise) = next else {
            let done = self.lang.pick(
                "모든 연습 문제를 통과했습니다! 🎉",
                "Every exercise has passed! 🎉",
            );
            writeln!(out, "{done}").map_err(io)?;
            return Ok(true);
        };
        let lesson = exercise.lesson;
        let lines = [
            format!(
                "{} {lesson:02}, ex{} · {} — {}",
                self.lang.pick("다음: 레슨", "Next: lesson"),
                exercise.number,
                self.lang.text(exercise.title),
                self.state_label(&progress, exercise)
            ),
            format!(
                "  {} {}",
                self.lang.pick("고칠 파일:", "edit: "),
                exercise.file
            ),
            format!(
                "  {} cargo run -p {} --bin {}",
                self.lang.pick("실행:    ", "run:  "),
                exercise.package,
                exercise.bin
            ),
            format!(
                "  {} cargo tutor check {lesson}",
                self.lang.pick("확인:    ", "check:")
            ),
            format!(
                "  {} cargo tutor hint {lesson}",
                self.lang.pick("힌트:    ", "hint: ")
            ),
        ];
        writeln!(out, "{}", lines.join("\n")).map_err(io)?;
        Ok(true)
    }

    /// `reset N`: puts lesson N's unsolved files back: each one is its solution with the edit
    /// block replaced by `unsolved` from the lesson's `info.toml`. A file the learner changed is
    /// first copied to `.tutor-backup/<UTC time>/` (git ignores it): each reset keeps its own copy,
    /// so no work is lost, not even by a second reset.
    pub fn reset(&self, number: u8, out: Out) -> Result<bool, String> {
        let lesson = self.lesson(number)?;
        let mut progress = Progress::load(&self.progress_file);
        let mut backup = Backup::new(&self.root);
        for exercise in &lesson.exercises {
            let unsolved = sync::unsolved_text(&self.root, exercise)?;
            let path = self.root.join(&exercise.file);
            let current = std::fs::read_to_string(&path).ok();
            if current.as_deref() == Some(unsolved.as_str()) {
                let same = self.lang.pick("이미 처음 그대로", "already as shipped");
                writeln!(out, "{}: {same}", exercise.file).map_err(io)?;
                continue;
            }
            let kept_in = match current {
                Some(current) => Some(backup.keep(&exercise.file, &current)?),
                None => None,
            };
            std::fs::write(&path, unsolved).map_err(io)?;
            progress.forget_check(&exercise.key());
            let restored = match kept_in {
                Some(dir) => self
                    .lang
                    .pick(
                        &format!("처음 상태로 되돌림 (고친 내용은 {dir}/ 에 있습니다)"),
                        &format!("restored (your version is kept in {dir}/)"),
                    )
                    .to_owned(),
                None => self.lang.pick("처음 상태로 되돌림", "restored").to_owned(),
            };
            writeln!(out, "{}: {restored}", exercise.file).map_err(io)?;
        }
        progress.save().map_err(io)?;
        Ok(true)
    }

    /// `sync`: writes every exercise file (its solution with the edit block replaced by
    /// `unsolved` from `info.toml`) and the exercise `[[bin]]`s of the lesson and solution
    /// manifests. An exercise file that had other text is first kept in `.tutor-backup/`.
    /// `check`: writes nothing; lists what differs and returns `Ok(false)` if anything does.
    pub fn sync(&self, check: bool, out: Out) -> Result<bool, String> {
        let planned = sync::plan(&self.root, &self.lessons)?;
        let differences = sync::differences(&self.root, &planned);
        let strays = sync::strays(&self.root, &self.lessons);
        for stray in &strays {
            writeln!(out, "stray    {}: {}", stray.path, stray.why).map_err(io)?;
        }
        if check {
            for difference in &differences {
                writeln!(out, "differs  {}: {}", difference.path, difference.why).map_err(io)?;
            }
            if differences.is_empty() && strays.is_empty() {
                writeln!(out, "in sync: every exercise file and exercise [[bin]]").map_err(io)?;
            } else if !differences.is_empty() {
                writeln!(
                    out,
                    "`cargo tutor sync` writes these files from solutions/ and info.toml"
                )
                .map_err(io)?;
            }
            return Ok(differences.is_empty() && strays.is_empty());
        }
        let mut backup = Backup::new(&self.root);
        for file in &planned {
            if !differences.iter().any(|d| d.path == file.path) {
                continue;
            }
            let path = self.root.join(&file.path);
            let current = std::fs::read_to_string(&path).ok();
            let kept_in = match current {
                Some(current) if file.is_exercise => Some(backup.keep(&file.path, &current)?),
                _ => None,
            };
            std::fs::write(&path, &file.text).map_err(|e| format!("{}: {e}", file.path))?;
            match kept_in {
                Some(dir) => writeln!(
                    out,
                    "wrote    {} (the old one is kept in {dir}/)",
                    file.path
                ),
                None => writeln!(out, "wrote    {}", file.path),
            }
            .map_err(io)?;
        }
        writeln!(
            out,
            "{} of {} files written; the others were already in sync",
            differences.len(),
            planned.len()
        )
        .map_err(io)?;
        // A stray file needs a person: its [exK] in info.toml, or its removal.
        Ok(strays.is_empty())
    }

    /// `verify` (CI): everything is as `sync` writes it (so each learner's file is exactly its
    /// solution with the `unsolved` block, byte for byte), and for every exercise its check FAILS
    /// on the unsolved file and PASSES on the solution. So no exercise can be passed unchanged,
    /// and no solution can rot.
    pub async fn verify(&self, out: Out<'_>) -> Result<bool, String> {
        let planned = sync::plan(&self.root, &self.lessons)?;
        let mut differences = sync::differences(&self.root, &planned);
        differences.extend(sync::strays(&self.root, &self.lessons));
        for difference in &differences {
            writeln!(
                out,
                "PROBLEM  {}: not what `cargo tutor sync` writes: {}",
                difference.path, difference.why
            )
            .map_err(io)?;
        }
        let exercises: Vec<&Exercise> = self.lessons.iter().flat_map(|l| &l.exercises).collect();
        let mut programs = Vec::new();
        for exercise in &exercises {
            programs.push((
                exercise.package.as_str(),
                exercise.bin.as_str(),
                exercise.check,
            ));
            programs.push((
                exercise.solution_package.as_str(),
                exercise.solution_bin.as_str(),
                exercise.check,
            ));
        }
        let outcomes = self.outcomes(&programs).await;

        let mut all_ok = differences.is_empty();
        for (exercise, pair) in exercises.iter().zip(outcomes.chunks(2)) {
            let problems = self.problems(exercise, &pair[0], &pair[1]);
            if problems.is_empty() {
                writeln!(
                    out,
                    "ok       {}: the unsolved file fails, the solution passes",
                    exercise.key()
                )
                .map_err(io)?;
            } else {
                all_ok = false;
                writeln!(out, "PROBLEM  {}:\n{}", exercise.key(), problems.join("\n"))
                    .map_err(io)?;
            }
        }
        Ok(all_ok)
    }

    fn problems(&self, exercise: &Exercise, unsolved: &Outcome, solution: &Outcome) -> Vec<String> {
        let mut problems = Vec::new();
        match unsolved {
            Outcome::Failed(_) => {}
            Outcome::Passed => problems.push(format!(
                "  the UNSOLVED {} passes its check: the exercise can be passed without doing it",
                exercise.file
            )),
            Outcome::DoesNotCompile(errors) => problems.push(format!(
                "  the unsolved {} does not compile (it must compile and run):\n{errors}",
                exercise.file
            )),
        }
        if !solution.passed() {
            problems.push(format!(
                "  the solution {} does not pass its check:\n{}",
                exercise.solution_file,
                report::outcome(solution, Lang::En)
            ));
        }
        problems
    }
}
