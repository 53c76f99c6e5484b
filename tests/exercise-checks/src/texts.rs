//! The exercises' texts, kept as data beside their checks: `src/lessonNN.toml` holds the lesson's
//! title and, for each exercise (`[ex1]`, `[ex2]`), its title and three hint levels (a nudge,
//! the concept, the answer), each in Korean and English. The checks stay code (`src/lessonNN.rs`).
//!
//! The files are built into the binary and read once; a missing text or level is an error that
//! names the file (`cargo test -p exercise-checks` reads them all, so it cannot ship).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::Text;

/// How many hint levels each exercise has: the nudge, the concept, the answer.
pub const HINT_LEVELS: usize = 3;

/// Every lesson's text file: (lesson number, file name, its text).
const FILES: &[(u8, &str, &str)] = &[
    (1, "lesson01.toml", include_str!("lesson01.toml")),
    (2, "lesson02.toml", include_str!("lesson02.toml")),
    (3, "lesson03.toml", include_str!("lesson03.toml")),
    (4, "lesson04.toml", include_str!("lesson04.toml")),
    (5, "lesson05.toml", include_str!("lesson05.toml")),
    (6, "lesson06.toml", include_str!("lesson06.toml")),
    (7, "lesson07.toml", include_str!("lesson07.toml")),
    (8, "lesson08.toml", include_str!("lesson08.toml")),
];

/// `ko = "..."`, `en = "..."`: both are required.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Both {
    pub ko: String,
    pub en: String,
}

/// One `[exK]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExerciseTexts {
    pub title: Both,
    /// Where to look, without naming the code.
    pub nudge: Both,
    /// What to use and why.
    pub concept: Both,
    /// The code.
    pub answer: Both,
}

/// One `lessonNN.toml`.
#[derive(Debug, Deserialize)]
pub struct LessonTexts {
    pub title: Both,
    /// `ex1`, `ex2`, ... (every other table of the file).
    #[serde(flatten)]
    pub exercises: BTreeMap<String, ExerciseTexts>,
}

/// Reads one lesson's file; an error says what is missing or empty, and where.
pub fn parse(text: &str) -> Result<LessonTexts, String> {
    let lesson: LessonTexts = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut empty = Vec::new();
    check_both(&lesson.title, "title", &mut empty);
    for (key, exercise) in &lesson.exercises {
        let fields = [
            ("title", &exercise.title),
            ("nudge", &exercise.nudge),
            ("concept", &exercise.concept),
            ("answer", &exercise.answer),
        ];
        for (field, both) in fields {
            check_both(both, &format!("{key}.{field}"), &mut empty);
        }
    }
    if empty.is_empty() {
        Ok(lesson)
    } else {
        Err(format!("empty: {}", empty.join(", ")))
    }
}

fn check_both(both: &Both, name: &str, empty: &mut Vec<String>) {
    if both.ko.trim().is_empty() {
        empty.push(format!("{name}.ko"));
    }
    if both.en.trim().is_empty() {
        empty.push(format!("{name}.en"));
    }
}

/// Every lesson's texts, read once. Panics on a broken file (the tests read every file first).
pub fn all() -> &'static BTreeMap<u8, LessonTexts> {
    static TEXTS: OnceLock<BTreeMap<u8, LessonTexts>> = OnceLock::new();
    TEXTS.get_or_init(|| {
        FILES
            .iter()
            .map(|(number, name, text)| {
                let texts =
                    parse(text).unwrap_or_else(|e| panic!("tests/exercise-checks/src/{name}: {e}"));
                (*number, texts)
            })
            .collect()
    })
}

impl Both {
    pub fn text(&'static self) -> Text {
        Text {
            ko: &self.ko,
            en: &self.en,
        }
    }
}

/// Lesson `lesson`'s title.
pub fn lesson_title(lesson: u8) -> Text {
    lesson_texts(lesson).title.text()
}

/// Exercise `number` of lesson `lesson`: its title and its hints, nudge first.
pub fn exercise(lesson: u8, number: u8) -> (Text, [Text; HINT_LEVELS]) {
    let key = format!("ex{number}");
    let texts = lesson_texts(lesson)
        .exercises
        .get(&key)
        .unwrap_or_else(|| panic!("lesson{lesson:02}.toml has no [{key}]"));
    (
        texts.title.text(),
        [
            texts.nudge.text(),
            texts.concept.text(),
            texts.answer.text(),
        ],
    )
}

fn lesson_texts(lesson: u8) -> &'static LessonTexts {
    all()
        .get(&lesson)
        .unwrap_or_else(|| panic!("no lesson{lesson:02}.toml in tests/exercise-checks/src/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_reads_and_every_exercise_has_every_level_in_both_languages() {
        for (number, name, text) in FILES {
            let lesson = parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!lesson.exercises.is_empty(), "{name}: no exercises");
            let listed = crate::lessons()
                .into_iter()
                .find(|l| l.number == *number)
                .unwrap_or_else(|| panic!("{name}: lesson {number} is not in lessons()"));
            let keys: Vec<String> = listed
                .exercises
                .iter()
                .map(|e| format!("ex{}", e.number))
                .collect();
            let tables: Vec<&String> = lesson.exercises.keys().collect();
            assert_eq!(
                tables,
                keys.iter().collect::<Vec<_>>(),
                "{name}: one table per exercise"
            );
        }
        let exercises: Vec<_> = crate::lessons()
            .into_iter()
            .flat_map(|l| l.exercises)
            .collect();
        assert_eq!(exercises.len(), 16);
        for exercise in exercises {
            for (level, hint) in exercise.hints.iter().enumerate() {
                assert!(
                    !hint.ko.trim().is_empty(),
                    "{} level {level} ko",
                    exercise.key()
                );
                assert!(
                    !hint.en.trim().is_empty(),
                    "{} level {level} en",
                    exercise.key()
                );
            }
            // Graded: three different texts, and the nudge is the shortest (it names no code).
            let [nudge, concept, answer] = exercise.hints;
            assert!(nudge != concept && concept != answer, "{}", exercise.key());
            assert!(
                nudge.en.len() < answer.en.len() && nudge.ko.len() < answer.ko.len(),
                "{}: the nudge is longer than the answer",
                exercise.key()
            );
        }
    }

    #[test]
    fn a_missing_level_or_language_is_refused() {
        let whole = r#"
            title.ko = "제목"
            title.en = "Title"
            [ex1]
            title.ko = "a"
            title.en = "a"
            nudge.ko = "b"
            nudge.en = "b"
            concept.ko = "c"
            concept.en = "c"
            answer.ko = "d"
            answer.en = "d"
        "#;
        assert!(parse(whole).is_ok());
        let no_concept_en = whole.replace("concept.en = \"c\"", "");
        let error = parse(&no_concept_en).expect_err("concept.en is missing");
        assert!(error.contains("missing field `en`"), "{error}");
        let no_answer = whole
            .replace("answer.ko = \"d\"", "")
            .replace("answer.en = \"d\"", "");
        let error = parse(&no_answer).expect_err("answer is missing");
        assert!(error.contains("missing field `answer`"), "{error}");
        let empty = whole.replace("nudge.ko = \"b\"", "nudge.ko = \" \"");
        assert_eq!(parse(&empty).err(), Some("empty: ex1.nudge.ko".to_owned()));
        let typo = whole.replace("nudge.en", "nudg.en");
        assert!(parse(&typo).is_err(), "an unknown key is refused");
    }
}
