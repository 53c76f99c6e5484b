//! What the learner has done so far, kept in `.tutor-progress.json` at the workspace root (git
//! ignores it). For each exercise: the result of its last check, a hash of the file that was
//! checked (so that `list` can say when the file changed since), and how many hint levels the
//! learner has seen.
//!
//! ```json
//! { "lesson02-ex1": { "state": "failing", "file_hash": "9f1c0b4e5d6a7b8c", "hints_seen": 1 } }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::lang::Lang;

/// The state of one exercise, as of its last check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    NotTried,
    DoesNotCompile,
    Failing,
    Passed,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::NotTried => "not-tried",
            State::DoesNotCompile => "does-not-compile",
            State::Failing => "failing",
            State::Passed => "passed",
        }
    }

    fn parse(text: &str) -> State {
        match text {
            "does-not-compile" => State::DoesNotCompile,
            "failing" => State::Failing,
            "passed" => State::Passed,
            _ => State::NotTried,
        }
    }

    /// A mark and a word for `cargo tutor list`.
    pub fn label(self, lang: Lang) -> String {
        match self {
            State::NotTried => format!("·  {}", lang.pick("아직 안 함", "not tried")),
            State::DoesNotCompile => {
                format!("❌ {}", lang.pick("컴파일 안 됨", "does not compile"))
            }
            State::Failing => format!("❌ {}", lang.pick("아직 틀림", "failing")),
            State::Passed => format!("✅ {}", lang.pick("통과", "passed")),
        }
    }
}

/// What the progress file remembers about one exercise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub state: State,
    /// [`file_hash`] of the file as it was checked; `None` before the first check.
    pub file_hash: Option<String>,
    /// How many hint levels `hint` has shown so far (0 = none yet).
    pub hints_seen: usize,
}

impl Default for Record {
    fn default() -> Record {
        Record {
            state: State::NotTried,
            file_hash: None,
            hints_seen: 0,
        }
    }
}

impl Record {
    /// Whether the file (its current text, or `None` when it cannot be read) differs from the one
    /// the last check saw. Never true before a first check.
    pub fn changed_since(&self, current: Option<&str>) -> bool {
        match &self.file_hash {
            None => false,
            Some(checked) => current.map(file_hash).as_ref() != Some(checked),
        }
    }

    /// Passed, and the file is still the one that passed.
    pub fn passed_as_is(&self, current: Option<&str>) -> bool {
        self.state == State::Passed && !self.changed_since(current)
    }

    fn from_json(value: &Value) -> Record {
        // The first versions of the file kept only the state, as a string.
        if let Some(state) = value.as_str() {
            return Record {
                state: State::parse(state),
                ..Record::default()
            };
        }
        Record {
            state: State::parse(value["state"].as_str().unwrap_or_default()),
            file_hash: value["file_hash"].as_str().map(str::to_owned),
            hints_seen: value["hints_seen"]
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or(0),
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "state": self.state.as_str(),
            "file_hash": self.file_hash,
            "hints_seen": self.hints_seen,
        })
    }
}

/// A short fingerprint of a file's text (64-bit FNV-1a, in hex): enough to notice that a file
/// changed, and the same on every platform and Rust version (std's `DefaultHasher` is not).
pub fn file_hash(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// The progress file: exercise key (`lesson02-ex1`) → [`Record`].
pub struct Progress {
    path: PathBuf,
    records: BTreeMap<String, Record>,
}

impl Progress {
    /// Reads `path`; a missing or unreadable file is an empty progress (nothing tried yet).
    pub fn load(path: &Path) -> Progress {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let json: Value = serde_json::from_str(&text).unwrap_or_default();
        let records = json
            .as_object()
            .map(|map| {
                map.iter()
                    .map(|(key, value)| (key.clone(), Record::from_json(value)))
                    .collect()
            })
            .unwrap_or_default();
        Progress {
            path: path.to_owned(),
            records,
        }
    }

    pub fn record(&self, key: &str) -> Record {
        self.records.get(key).cloned().unwrap_or_default()
    }

    pub fn get(&self, key: &str) -> State {
        self.record(key).state
    }

    /// The result of a check of the file whose text had hash `file_hash`.
    pub fn set_checked(&mut self, key: &str, state: State, file_hash: String) {
        let record = self.records.entry(key.to_owned()).or_default();
        record.state = state;
        record.file_hash = Some(file_hash);
    }

    /// Forgets the last check (after `reset`); the hint levels seen are kept.
    pub fn forget_check(&mut self, key: &str) {
        if let Some(record) = self.records.get_mut(key) {
            record.state = State::NotTried;
            record.file_hash = None;
        }
    }

    pub fn set_hints_seen(&mut self, key: &str, seen: usize) {
        self.records.entry(key.to_owned()).or_default().hints_seen = seen;
    }

    pub fn save(&self) -> std::io::Result<()> {
        let map: serde_json::Map<String, Value> = self
            .records
            .iter()
            .filter(|(_, record)| **record != Record::default())
            .map(|(key, record)| (key.clone(), record.to_json()))
            .collect();
        let text = serde_json::to_string_pretty(&Value::Object(map))?;
        std::fs::write(&self.path, text + "\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_fnv1a_and_tells_texts_apart() {
        // FNV-1a's published test values: "" and "a".
        assert_eq!(file_hash(""), "cbf29ce484222325");
        assert_eq!(file_hash("a"), "af63dc4c8601ec8c");
        assert_ne!(file_hash("fn main() {}"), file_hash("fn main() { }"));
    }

    #[test]
    fn a_record_knows_when_its_file_changed() {
        let checked = Record {
            state: State::Passed,
            file_hash: Some(file_hash("v1")),
            hints_seen: 0,
        };
        assert!(!checked.changed_since(Some("v1")));
        assert!(checked.passed_as_is(Some("v1")));
        assert!(checked.changed_since(Some("v2")));
        assert!(!checked.passed_as_is(Some("v2")));
        assert!(checked.changed_since(None), "a file that is gone changed");
        assert!(!Record::default().changed_since(Some("anything")));
    }

    #[test]
    fn the_old_format_and_the_new_one_are_read() {
        let old = Record::from_json(&json!("passed"));
        assert_eq!(old.state, State::Passed);
        assert_eq!(old.file_hash, None);
        let new =
            Record::from_json(&json!({"state": "failing", "file_hash": "00ff", "hints_seen": 2}));
        assert_eq!(
            new,
            Record {
                state: State::Failing,
                file_hash: Some("00ff".into()),
                hints_seen: 2
            }
        );
        assert_eq!(Record::from_json(&new.to_json()), new);
    }
}
