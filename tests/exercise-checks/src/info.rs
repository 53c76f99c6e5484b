//! A lesson's exercises as data: `lessons/lessonNN/exercises/info.toml`. It holds the lesson's
//! title and, for each exercise (`[ex1]`, `[ex2]`, ...), its file, its title, three hint levels (a
//! nudge, the concept, the answer), each in Korean and English, and `unsolved`: the lines of its
//! edit block as shipped (`cargo tutor sync` writes the exercise file from the solution and this).
//! The checks stay code (`src/lessonNN.rs`).
//!
//! A missing or empty field, an unknown key or a table that is not `exK` is an error that names
//! what is wrong; `cargo test -p exercise-checks` reads every file, so a broken one cannot ship.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::Text;

/// How many hint levels each exercise has: the nudge, the concept, the answer.
pub const HINT_LEVELS: usize = 3;

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
pub struct ExerciseInfo {
    /// The exercise's file, relative to the lesson's `exercises/` folder (and the solution's).
    pub file: String,
    pub title: Both,
    /// Where to look, without naming the code.
    pub nudge: Both,
    /// What to use and why.
    pub concept: Both,
    /// The code.
    pub answer: Both,
    /// The lines between the `✏️ EDIT HERE` and `✏️ END OF EDIT` lines of the unsolved file.
    pub unsolved: String,
}

/// One `info.toml`, its exercises by number.
#[derive(Debug)]
pub struct LessonInfo {
    pub title: Both,
    pub exercises: BTreeMap<u8, ExerciseInfo>,
}

/// The file as written: `title` and every other table, which must be named `exK`.
#[derive(Deserialize)]
struct File {
    title: Both,
    #[serde(flatten)]
    tables: BTreeMap<String, ExerciseInfo>,
}

/// Reads one `info.toml`; an error says what is missing, empty or misnamed.
pub fn parse(text: &str) -> Result<LessonInfo, String> {
    let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut empty = Vec::new();
    check_both(&file.title, "title", &mut empty);
    let mut exercises = BTreeMap::new();
    for (key, exercise) in file.tables {
        let number = key
            .strip_prefix("ex")
            .and_then(|n| n.parse::<u8>().ok())
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("[{key}]: an exercise's table is named ex1, ex2, ..."))?;
        let fields = [
            ("title", &exercise.title),
            ("nudge", &exercise.nudge),
            ("concept", &exercise.concept),
            ("answer", &exercise.answer),
        ];
        for (field, both) in fields {
            check_both(both, &format!("{key}.{field}"), &mut empty);
        }
        if exercise.file.trim().is_empty() {
            empty.push(format!("{key}.file"));
        }
        exercises.insert(number, exercise);
    }
    if !empty.is_empty() {
        return Err(format!("empty: {}", empty.join(", ")));
    }
    if exercises.is_empty() {
        return Err("no exercises ([ex1], ...)".to_owned());
    }
    Ok(LessonInfo {
        title: file.title,
        exercises,
    })
}

fn check_both(both: &Both, name: &str, empty: &mut Vec<String>) {
    if both.ko.trim().is_empty() {
        empty.push(format!("{name}.ko"));
    }
    if both.en.trim().is_empty() {
        empty.push(format!("{name}.en"));
    }
}

impl Both {
    pub fn text(&'static self) -> Text {
        Text {
            ko: &self.ko,
            en: &self.en,
        }
    }
}

impl ExerciseInfo {
    /// The hints, nudge first.
    pub fn hints(&'static self) -> [Text; HINT_LEVELS] {
        [self.nudge.text(), self.concept.text(), self.answer.text()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exercise_has_every_level_in_both_languages_and_the_levels_are_graded() {
        let exercises: Vec<_> = crate::lessons()
            .into_iter()
            .flat_map(|l| l.exercises)
            .collect();
        assert!(exercises.len() >= 14, "{} exercises", exercises.len());
        for exercise in exercises {
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

    const WHOLE: &str = r#"
        title.ko = "제목"
        title.en = "Title"
        [ex1]
        file = "ex1_a.rs"
        title.ko = "a"
        title.en = "a"
        nudge.ko = "b"
        nudge.en = "b"
        concept.ko = "c"
        concept.en = "c"
        answer.ko = "d"
        answer.en = "d"
        unsolved = '''
            wrong();
        '''
    "#;

    #[test]
    fn the_unsolved_block_is_read_byte_for_byte() {
        let lesson = parse(WHOLE).expect("a whole file");
        let exercise = &lesson.exercises[&1];
        assert_eq!(exercise.file, "ex1_a.rs");
        // The newline right after `'''` is not part of the text; every other byte is.
        assert_eq!(exercise.unsolved, "            wrong();\n        ");
    }

    #[test]
    fn a_missing_level_language_or_block_is_refused() {
        let no_concept_en = WHOLE.replace("concept.en = \"c\"", "");
        let error = parse(&no_concept_en).expect_err("concept.en is missing");
        assert!(error.contains("missing field `en`"), "{error}");
        let no_answer = WHOLE
            .replace("answer.ko = \"d\"", "")
            .replace("answer.en = \"d\"", "");
        let error = parse(&no_answer).expect_err("answer is missing");
        assert!(error.contains("missing field `answer`"), "{error}");
        let no_block = WHOLE
            .split("unsolved")
            .next()
            .expect("text before `unsolved`");
        let error = parse(no_block).expect_err("unsolved is missing");
        assert!(error.contains("missing field `unsolved`"), "{error}");
        let empty = WHOLE.replace("nudge.ko = \"b\"", "nudge.ko = \" \"");
        assert_eq!(parse(&empty).err(), Some("empty: ex1.nudge.ko".to_owned()));
        let typo = WHOLE.replace("nudge.en", "nudg.en");
        assert!(parse(&typo).is_err(), "an unknown key is refused");
        let misnamed = WHOLE.replace("[ex1]", "[exercise1]");
        let error = parse(&misnamed).expect_err("a table that is not exK");
        assert!(error.contains("[exercise1]"), "{error}");
    }
}
